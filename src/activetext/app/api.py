"""The JSON API and the page, as one FastAPI application.

Every ``/api`` route needs ``Authorization: Bearer <token>``: an annotator's token, or the admin token for the
routes that manage the project (annotators, import, export). The page (``/`` and its two static files) needs none;
it asks for a token and keeps it in the browser. The OpenAPI description is at ``/api/openapi.json``.

Errors are JSON ``{"detail": "..."}`` with a message that names the argument and the value: 400 malformed
request, 401 missing or wrong token, 403 admin only, 404 no such document, 409 the document's state does not allow
it, 413 too large, 415 unsupported upload format, 422 a value outside what is allowed.
"""

# no "from __future__ import annotations": FastAPI reads the annotations of the routes defined inside create_app
import random
import threading
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParameter
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from activetext.app import labeling
from activetext.app.export import export_path, labels_csv, labels_jsonl, model_zip, write_export
from activetext.app.limits import BodyLimitMiddleware, SecurityHeadersMiddleware
from activetext.app.progress import labeled_rows, recent_labels, stats
from activetext.app.server import Project
from activetext.app.storage import Annotator
from activetext.app.texts import FORMATS, read_documents
from activetext.exceptions import InvalidArgumentError, MissingDependencyError

__all__ = ["create_app"]

PAGE = Path(__file__).parent / "page"
_STATIC = {"app.js": "text/javascript; charset=utf-8", "style.css": "text/css; charset=utf-8"}
DocumentId = Annotated[int, PathParameter(ge=0, le=2**62, description="The document's id (0, 1, ...).")]


# --- request and response bodies -----------------------------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LabelBody(_Body):
    label: str = Field(max_length=64, description="A label name of the project's label set.")


class AnnotatorBody(_Body):
    name: str = Field(max_length=64, description="The annotator's name, 1 to 64 printable characters.")


class ExportBody(_Body):
    format: Literal["csv", "jsonl", "model"]
    path: str = Field(max_length=1000, description="A path inside the project folder (relative to it).")


class LabelInfo(BaseModel):
    name: str
    description: str
    key: str | None


class Me(BaseModel):
    name: str
    admin: bool


class ProjectInfo(BaseModel):
    name: str
    labels: list[LabelInfo]
    annotations_per_document: int
    classifier: str
    strategy: str
    me: Me


class DocumentOut(BaseModel):
    id: int
    external_id: str
    text: str
    suggestion: str | None = Field(description="The model's label for it (None before the first model).")
    confidence: float | None
    model_version: int | None
    your_label: str | None = Field(description="Your label on it, if you gave one.")


class NextOut(BaseModel):
    document: DocumentOut | None
    done: bool = Field(description="True when no document is left for you.")


class LabelOut(BaseModel):
    document_id: int
    label: str
    stored: bool = Field(description="False when the same label was already stored (a repeated request).")


class CorrectOut(BaseModel):
    document_id: int
    label: str
    previous_label: str | None


class UndoneOut(BaseModel):
    kind: Literal["label", "relabel", "skip", "unlabelable", "restore"]
    document_id: int
    label: str | None
    document: DocumentOut | None = Field(description="The document to show again (labels and skips).")


class ChangedOut(BaseModel):
    document_id: int
    changed: bool


class TokenOut(BaseModel):
    name: str
    token: str


class ImportOut(BaseModel):
    added: int
    first_id: int
    documents: int


class ExportOut(BaseModel):
    path: str
    format: str


class DocumentDetail(DocumentOut):
    unlabelable: bool
    labels: dict[str, str] = Field(description="Every annotator's label (the admin sees all, others their own).")


# --- the application ---------------------------------------------------------------------------------------------


def create_app(project: Project) -> FastAPI:
    """Build the application serving ``project``."""
    storage = project.storage
    names = storage.settings.label_names
    app = FastAPI(
        title="activetext labeling app",
        version="1",
        description=__doc__,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    rng = random.Random()
    rng_lock = threading.Lock()
    bearer = HTTPBearer(auto_error=False, description="An annotator's token, or the admin token.")

    def annotator(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Annotator:
        if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
            message = "a token is required: send the header 'Authorization: Bearer <token>'"
            raise HTTPException(401, message, {"WWW-Authenticate": "Bearer"})
        found = storage.authenticate(credentials.credentials)
        if found is None:
            raise HTTPException(401, "the token is not valid for this project", {"WWW-Authenticate": "Bearer"})
        return found

    def admin(user: Annotated[Annotator, Depends(annotator)]) -> Annotator:
        if not user.is_admin:
            raise HTTPException(403, f"annotator {user.name!r} is not the admin; this needs the admin token")
        return user

    User = Annotated[Annotator, Depends(annotator)]
    Admin = Annotated[Annotator, Depends(admin)]

    def document_out(shown: labeling.Shown) -> DocumentOut:
        return DocumentOut(
            id=shown.document_id,
            external_id=shown.external_id,
            text=shown.text,
            suggestion=None if shown.suggestion is None else names[shown.suggestion],
            confidence=shown.confidence,
            model_version=shown.model_version,
            your_label=None if shown.current_label is None else names[shown.current_label],
        )

    # --- errors ---

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = error.errors()
        if any(problem.get("type") == "json_invalid" for problem in problems):
            context = next(problem for problem in problems if problem.get("type") == "json_invalid").get("ctx", {})
            return JSONResponse({"detail": f"malformed JSON body: {context.get('error', 'cannot parse')}"}, 400)
        messages = []
        for problem in problems:
            where = ".".join(str(part) for part in problem.get("loc", ()) if part != "body") or "body"
            got = problem.get("input")
            shown = "" if problem.get("type") == "missing" else f", got {got!r:.80}"
            messages.append(f"{where}: {problem.get('msg', 'invalid')}{shown}")
        return JSONResponse({"detail": "; ".join(messages)}, 422)

    @app.exception_handler(InvalidArgumentError)
    async def invalid_argument(request: Request, error: InvalidArgumentError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, 422)

    @app.exception_handler(labeling.DocumentNotFoundError)
    async def not_found(request: Request, error: labeling.DocumentNotFoundError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, 404)

    @app.exception_handler(labeling.ConflictError)
    async def conflict(request: Request, error: labeling.ConflictError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, 409)

    # --- the page ---

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(PAGE / "index.html", media_type="text/html; charset=utf-8")

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> FileResponse:
        if name not in _STATIC:
            raise HTTPException(404, f"no static file {name!r}")
        return FileResponse(PAGE / name, media_type=_STATIC[name])

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/api/openapi.json", include_in_schema=False)
    def openapi(user: User) -> dict[str, Any]:
        return app.openapi()

    # --- labeling ---

    @app.get("/api/project", response_model=ProjectInfo, summary="The label set and who you are")
    def project_info(user: User) -> ProjectInfo:
        settings = storage.settings
        keys = [str(index + 1) if index < 9 else ("0" if index == 9 else None) for index in range(len(names))]
        return ProjectInfo(
            name=settings.name,
            labels=[
                LabelInfo(name=label.name, description=label.description, key=key)
                for label, key in zip(settings.labels, keys, strict=True)
            ],
            annotations_per_document=settings.annotations_per_document,
            classifier=settings.classifier,
            strategy=settings.strategy,
            me=Me(name=user.name, admin=user.is_admin),
        )

    @app.get("/api/next", response_model=NextOut, summary="Reserve and return the next document to label")
    def next_document(user: User) -> NextOut:
        with rng_lock:
            seeded = random.Random(rng.random())
        shown = labeling.next_document(storage, user, seeded)
        project.notify()
        return NextOut(document=None if shown is None else document_out(shown), done=shown is None)

    @app.post("/api/documents/{document_id}/label", response_model=LabelOut, summary="Label a document")
    def label(document_id: DocumentId, body: LabelBody, user: User) -> LabelOut:
        index = labeling.check_label(storage, body.label)
        stored = labeling.label(storage, user, document_id, index)
        project.notify()
        return LabelOut(document_id=document_id, label=body.label, stored=stored)

    @app.put("/api/documents/{document_id}/label", response_model=CorrectOut, summary="Correct a document's label")
    def correct(document_id: DocumentId, body: LabelBody, user: User) -> CorrectOut:
        index = labeling.check_label(storage, body.label)
        previous = labeling.correct(storage, user, document_id, index)
        project.notify()
        return CorrectOut(
            document_id=document_id, label=body.label, previous_label=None if previous is None else names[previous]
        )

    @app.post("/api/documents/{document_id}/skip", response_model=ChangedOut, summary="Skip a document")
    def skip(document_id: DocumentId, user: User) -> ChangedOut:
        labeling.skip(storage, user, document_id)
        project.notify()
        return ChangedOut(document_id=document_id, changed=True)

    @app.post(
        "/api/documents/{document_id}/unlabelable", response_model=ChangedOut, summary="Take a document out of the pool"
    )
    def unlabelable(document_id: DocumentId, user: User) -> ChangedOut:
        changed = labeling.mark_unlabelable(storage, user, document_id)
        project.notify()
        return ChangedOut(document_id=document_id, changed=changed)

    @app.delete(
        "/api/documents/{document_id}/unlabelable", response_model=ChangedOut, summary="Return a document to the pool"
    )
    def restore(document_id: DocumentId, user: User) -> ChangedOut:
        changed = labeling.restore(storage, user, document_id)
        project.notify()
        return ChangedOut(document_id=document_id, changed=changed)

    @app.post("/api/undo", response_model=UndoneOut, summary="Undo your last label, correction, skip or mark")
    def undo(user: User) -> UndoneOut:
        undone = labeling.undo(storage, user)
        project.notify()
        return UndoneOut(
            kind=undone.kind,
            document_id=undone.document_id,
            label=None if undone.label is None else names[undone.label],
            document=None if undone.shown is None else document_out(undone.shown),
        )

    @app.get("/api/documents/{document_id}", response_model=DocumentDetail, summary="A document and its labels")
    def document(document_id: DocumentId, user: User) -> DocumentDetail:
        shown = labeling.show(storage, document_id, user)
        with storage.read() as connection:
            unlabelable_flag = connection.execute(
                "SELECT unlabelable FROM documents WHERE id = ?", (document_id,)
            ).fetchone()[0]
            rows = connection.execute(
                """SELECT n.name, a.label FROM annotations a JOIN annotators n ON n.id = a.annotator_id
                   WHERE a.document_id = ? AND (? OR a.annotator_id = ?) ORDER BY a.created_at""",
                (document_id, int(user.is_admin), user.id),
            ).fetchall()
        return DocumentDetail(
            **document_out(shown).model_dump(),
            unlabelable=bool(unlabelable_flag),
            labels={name: names[index] for name, index in rows},
        )

    @app.get("/api/recent", summary="Your most recently changed labels, newest first")
    def recent(user: User, limit: Annotated[int, Query(ge=1, le=100)] = 10) -> list[dict[str, Any]]:
        return recent_labels(storage, user, limit)

    @app.get("/api/stats", summary="Progress, per-label counts, accuracy estimate, stopping verdict, curve")
    def get_stats(user: User) -> dict[str, Any]:
        result = stats(storage)
        result["training"] = project.worker.status() if project.worker is not None else None
        return result

    # --- administration ---

    @app.get("/api/annotators", summary="The annotators and how many labels each gave (admin)")
    def annotators(user: Admin) -> list[dict[str, Any]]:
        counts = stats(storage)["per_annotator"]
        return [{"name": name, "labels": counts.get(name, 0)} for name in storage.annotator_names()]

    @app.post("/api/annotators", response_model=TokenOut, status_code=201, summary="Add an annotator (admin)")
    def add_annotator(body: AnnotatorBody, user: Admin) -> TokenOut:
        return TokenOut(name=body.name, token=storage.add_annotator(body.name))

    @app.post("/api/annotators/{name}/token", response_model=TokenOut, summary="Give an annotator a new token (admin)")
    def rotate(name: str, user: Admin) -> TokenOut:
        try:
            token = storage.rotate_token(name)
        except KeyError:
            raise HTTPException(404, f"name {name!r} is not an annotator of this project") from None
        if name == "admin":
            from activetext.app.server import ADMIN_TOKEN, _write_private

            _write_private(project.folder / ADMIN_TOKEN, token + "\n")
        return TokenOut(name=name, token=token)

    @app.post(
        "/api/import",
        response_model=ImportOut,
        summary="Add documents from a CSV, JSONL or Parquet upload (admin)",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "text/csv": {"schema": {"type": "string"}},
                    "application/x-ndjson": {"schema": {"type": "string"}},
                    "application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary"}},
                },
            }
        },
    )
    async def import_documents(
        request: Request,
        user: Admin,
        format: Annotated[str, Query(description="csv, jsonl or parquet")],
        text_column: Annotated[str, Query(max_length=200)] = "text",
        id_column: Annotated[str | None, Query(max_length=200)] = None,
    ) -> ImportOut:
        if format not in FORMATS:
            raise HTTPException(415, f"format must be one of {list(FORMATS)}, got {format!r}")
        content = await request.body()

        def add() -> tuple[int, int, int]:
            try:
                documents = read_documents(content, text_column, id_column, format)
            except MissingDependencyError as error:
                raise HTTPException(415, str(error)) from error
            first, end = storage.add_documents(documents)
            return first, end - first, storage.document_count()

        first, added, total = await run_in_threadpool(add)
        project.notify()
        return ImportOut(added=added, first_id=first, documents=total)

    @app.get("/api/export", summary="Download the labeled data (admin)")
    def export_labels(
        user: Admin, format: Annotated[Literal["csv", "jsonl"], Query(description="csv or jsonl")] = "csv"
    ) -> Response:
        rows = labeled_rows(storage)
        content = labels_csv(rows) if format == "csv" else labels_jsonl(rows)
        media = "text/csv; charset=utf-8" if format == "csv" else "application/x-ndjson; charset=utf-8"
        disposition = f'attachment; filename="labels.{format}"'
        return Response(content, media_type=media, headers={"Content-Disposition": disposition})

    def newest_model() -> Path:
        with storage.read() as connection:
            row = connection.execute("SELECT folder FROM models ORDER BY version DESC LIMIT 1").fetchone()
        folder = None if row is None else project.folder / "models" / row[0]
        if folder is None or not folder.is_dir():
            raise HTTPException(409, "no model has been trained yet: label documents of at least two labels first")
        return folder

    @app.get("/api/export/model", summary="Download the newest model as a zip file (admin)")
    def export_model(user: Admin) -> Response:
        folder = newest_model()
        headers = {"Content-Disposition": f'attachment; filename="model-{folder.name}.zip"'}
        return Response(model_zip(folder), media_type="application/zip", headers=headers)

    @app.post("/api/export", response_model=ExportOut, summary="Write an export inside the project folder (admin)")
    def export_to_file(body: ExportBody, user: Admin) -> ExportOut:
        target = export_path(project.folder, body.path)
        if body.format == "model":
            write_export(target, model_folder=newest_model())
        else:
            rows = labeled_rows(storage)
            write_export(target, labels_csv(rows) if body.format == "csv" else labels_jsonl(rows))
        return ExportOut(path=str(target), format=body.format)

    app.add_middleware(
        BodyLimitMiddleware,
        limit=project.body_limit,
        upload_limit=project.upload_limit,
        upload_paths=("/api/import",),
    )
    app.add_middleware(SecurityHeadersMiddleware)
    return app
