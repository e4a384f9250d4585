"""``modelspec lsp``: a language server over stdio, on pygls 2 (the ``lsp`` extra).

Every open spec is checked as it is edited (each change re-runs the whole check
on the unsaved text: a few milliseconds for ResNet-50) and its problems are
published as diagnostics. Hover, completion, go to definition and inlay hints
come from :class:`modelspec.language.Analysis`; this module only translates
between it and the protocol. TensorFlow is never imported.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from . import __version__
from .language import Analysis, Diagnostic, Item, Range

COMPLETION_KINDS = {"field": lsp.CompletionItemKind.Property, "type": lsp.CompletionItemKind.Class,
                    "value": lsp.CompletionItemKind.EnumMember}


def _range(r: Range) -> lsp.Range:
    (l1, c1), (l2, c2) = r
    return lsp.Range(lsp.Position(l1, c1), lsp.Position(l2, c2))


class SpecServer(LanguageServer):
    """The language server, with the latest :class:`Analysis` of every open document."""

    def __init__(self):
        super().__init__("modelspec", __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)
        self.analyses: dict[str, tuple[int, Analysis]] = {}

    def analysis(self, uri: str) -> Analysis:
        """The analysis of the document's current text (made now if the text changed)."""
        document = self.workspace.get_text_document(uri)
        cached = self.analyses.get(uri)
        if cached is not None and cached[0] == document.version and cached[1].text == document.source:
            return cached[1]
        analysis = Analysis(to_fs_path(uri) or uri, document.source)
        self.analyses[uri] = (document.version, analysis)
        return analysis

    def publish(self, uri: str) -> None:
        analysis = self.analysis(uri)
        diagnostics = [lsp.Diagnostic(range=_range(d.range), message=d.message, severity=lsp.DiagnosticSeverity.Error,
                                      source="modelspec", related_information=_related(d))
                       for d in analysis.diagnostics()]
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
            uri=uri, diagnostics=diagnostics, version=self.workspace.get_text_document(uri).version))


def _related(d: Diagnostic) -> Optional[list[lsp.DiagnosticRelatedInformation]]:
    """For a problem inside a base file: where it is there (editors link to it)."""
    if d.elsewhere is None:
        return None
    return [lsp.DiagnosticRelatedInformation(
        location=lsp.Location(uri=Path(d.elsewhere.path).resolve().as_uri(), range=_range(d.elsewhere.range)),
        message="the problem is here, in the base file")]


def _item(item: Item) -> lsp.CompletionItem:
    return lsp.CompletionItem(label=item.label, kind=COMPLETION_KINDS[item.kind], detail=item.detail or None,
                              documentation=lsp.MarkupContent(lsp.MarkupKind.Markdown, item.documentation),
                              insert_text=item.insert)


def make_server() -> SpecServer:
    server = SpecServer()

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: SpecServer, params: lsp.DidOpenTextDocumentParams) -> None:
        ls.publish(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: SpecServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.publish(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: SpecServer, params: lsp.DidSaveTextDocumentParams) -> None:
        # the saved file may be another open spec's base (extends) or hold its modules: check them all again
        ls.analyses.clear()
        for uri in list(ls.workspace.text_documents):
            ls.publish(uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: SpecServer, params: lsp.DidCloseTextDocumentParams) -> None:
        ls.analyses.pop(params.text_document.uri, None)
        ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=params.text_document.uri,
                                                                          diagnostics=[]))

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(ls: SpecServer, params: lsp.HoverParams) -> Optional[lsp.Hover]:
        found = ls.analysis(params.text_document.uri).hover(params.position.line, params.position.character)
        if found is None:
            return None
        text, where = found
        return lsp.Hover(contents=lsp.MarkupContent(lsp.MarkupKind.Markdown, text), range=_range(where))

    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=[" ", ":"]))
    def completion(ls: SpecServer, params: lsp.CompletionParams) -> lsp.CompletionList:
        items = ls.analysis(params.text_document.uri).completion(params.position.line, params.position.character)
        return lsp.CompletionList(is_incomplete=False, items=[_item(i) for i in items])

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: SpecServer, params: lsp.DefinitionParams) -> Optional[lsp.Location]:
        analysis = ls.analysis(params.text_document.uri)
        target = analysis.definition(params.position.line, params.position.character)
        if target is None:
            return None
        uri = params.text_document.uri if target.path == analysis.path else Path(target.path).resolve().as_uri()
        return lsp.Location(uri=uri, range=_range(target.range))

    @server.feature(lsp.TEXT_DOCUMENT_INLAY_HINT, lsp.InlayHintOptions(resolve_provider=False))
    def inlay_hints(ls: SpecServer, params: lsp.InlayHintParams) -> list[lsp.InlayHint]:
        analysis = ls.analysis(params.text_document.uri)
        hints = analysis.inlay_hints(params.range.start.line, params.range.end.line)
        return [lsp.InlayHint(position=lsp.Position(line, character), label=label, kind=lsp.InlayHintKind.Type,
                              padding_left=True) for (line, character), label in hints]

    return server


def serve() -> None:
    """Run the language server on standard input and output until the client says exit.

    pygls closes the streams it is given when it stops; it gets duplicates of the two descriptors,
    so ``sys.stdout`` itself stays open for the command line's final flush.
    """
    import os

    with os.fdopen(os.dup(0), "rb") as stdin, os.fdopen(os.dup(1), "wb") as stdout:
        make_server().start_io(stdin, stdout)
