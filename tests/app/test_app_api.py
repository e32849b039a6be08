"""API tests against a running app (uvicorn on a free port, real HTTP over loopback)."""

from __future__ import annotations

import json
import sqlite3
import threading
import zipfile
from io import BytesIO

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from app_helpers import LABELS, Client, label_true, new_project, serving, wait_for, write_texts

from activetext.app.model import load_model


@pytest.fixture
def project(tmp_path):
    texts, truth = write_texts(tmp_path)
    return new_project(tmp_path / "project", texts), truth


def admin_client(server) -> Client:
    return Client(server.url, server.admin_token)


def oversized(url: str, path: str, token: str, length: int) -> tuple[int, dict]:
    """Declare a body of ``length`` bytes, send none, and read the answer (refused before the body is read)."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.putrequest("POST", path)
    for name, value in [
        ("Authorization", f"Bearer {token}"),
        ("Content-Type", "application/json"),
        ("Content-Length", str(length)),
    ]:
        connection.putheader(name, value)
    connection.endheaders()
    response = connection.getresponse()
    try:
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def rows(folder, query, parameters=()):
    connection = sqlite3.connect(folder / "activetext.db")
    try:
        return connection.execute(query, parameters).fetchall()
    finally:
        connection.close()


def test_the_page_needs_no_token_and_every_api_route_needs_one(project):
    folder, _ = project
    with serving(folder) as server:
        anonymous = Client(server.url, None)
        status, page = anonymous.get("/")
        assert status == 200 and b'<script src="/static/app.js"' in page
        assert anonymous.get("/static/app.js")[0] == 200
        assert anonymous.get("/static/../activetext.db")[0] == 404
        for method, path in [
            ("GET", "/api/project"),
            ("GET", "/api/next"),
            ("GET", "/api/stats"),
            ("GET", "/api/openapi.json"),
            ("POST", "/api/undo"),
            ("GET", "/api/export"),
        ]:
            status, reply = anonymous.request(method, path)
            assert status == 401, (path, reply)
            assert "token" in reply["detail"]
        assert Client(server.url, "not-a-token").get("/api/project")[0] == 401
        status, schema = admin_client(server).get("/api/openapi.json")
        assert status == 200
        assert {"/api/next", "/api/documents/{document_id}/label", "/api/export", "/api/import"} <= set(schema["paths"])


def test_the_page_is_served_with_headers_that_stop_injected_scripts(project):
    import urllib.request

    folder, _ = project
    with serving(folder) as server:
        with urllib.request.urlopen(server.url) as response:
            policy = response.headers["Content-Security-Policy"]
            assert "script-src 'self'" in policy and "default-src 'none'" in policy
            assert response.headers["X-Content-Type-Options"] == "nosniff"
        script = urllib.request.urlopen(server.url + "static/app.js").read().decode()
        assert "innerHTML" not in script and "eval(" not in script  # document text only ever goes to textContent


def test_labels_are_committed_checked_and_corrected(project):
    folder, truth = project
    with serving(folder) as server:
        client = admin_client(server)
        document = client.next()
        assert document["suggestion"] is None  # no model yet
        assert client.next()["id"] == document["id"]  # a reload shows the same document
        right = truth[document["external_id"]]
        wrong = next(name for name in LABELS if name != right)
        status, reply = client.label(document["id"], right)
        assert status == 200 and reply == {"document_id": document["id"], "label": right, "stored": True}
        # committed: another connection sees it at once
        assert rows(folder, "SELECT label FROM annotations WHERE document_id = ?", (document["id"],)) == [
            (LABELS.index(right),)
        ]
        assert client.label(document["id"], right)[1]["stored"] is False  # a retried request changes nothing
        status, reply = client.label(document["id"], wrong)
        assert status == 409 and "PUT" in reply["detail"]
        status, reply = client.put(f"/api/documents/{document['id']}/label", {"label": wrong})
        assert status == 200 and reply["previous_label"] == right
        assert rows(folder, "SELECT COUNT(*), MAX(label) FROM annotations") == [(1, LABELS.index(wrong))]

        status, reply = client.label(document["id"] + 1, "weather")
        assert status == 422 and "weather" in reply["detail"] and "sport" in reply["detail"]
        status, reply = client.label(10_000, "sport")
        assert status == 404 and "10000" in reply["detail"]
        assert client.label(-1, "sport")[0] == 422
        status, reply = client.post(
            "/api/documents/3/label", raw=b'{"label": "sport"', headers={"Content-Type": "application/json"}
        )
        assert status == 400 and "malformed JSON" in reply["detail"]
        status, reply = client.post(
            "/api/documents/3/label",
            raw='{"label": "sport"}'.encode("utf-16"),
            headers={"Content-Type": "application/json"},
        )
        assert status in (400, 422) and reply["detail"]
        status, reply = client.post("/api/documents/3/label", {"label": "sport", "extra": 1})
        assert status == 422 and "extra" in reply["detail"]
        status, reply = oversized(server.url, "/api/documents/3/label", server.admin_token, 2 << 20)
        assert status == 413 and "larger than the limit of 1048576 bytes" in reply["detail"]
        assert rows(folder, "SELECT COUNT(*) FROM annotations") == [(1,)]  # nothing refused was stored


def test_the_model_retrains_in_the_background_and_chooses_the_queue(project):
    folder, truth = project
    with serving(folder) as server:
        client = admin_client(server)
        label_true(client, truth, 24)
        stats = wait_for(
            lambda: (lambda s: s if s["model"] and s["model"]["labels"] >= 20 else None)(client.get("/api/stats")[1])
        )
        assert stats["labeled"] == 24 and sum(stats["per_label"].values()) == 24
        assert stats["remaining"] == 120 - 24
        assert stats["curve"] and 0.0 <= stats["curve"][-1]["accuracy"] <= 1.0
        assert {criterion["name"] for criterion in stats["stopping"]["criteria"]} == {
            "kappa-average",
            "overall-uncertainty",
        }
        version = stats["model"]["version"]
        document = wait_for(
            lambda: (lambda d: d if d["suggestion"] else client.post(f"/api/documents/{d['id']}/skip") and None)(
                client.next()
            )
        )
        assert document["suggestion"] in LABELS and 0 < document["confidence"] <= 1
        assert document["model_version"] >= 1
        queued = rows(folder, "SELECT model_version FROM queue")
        assert queued and all(row[0] is not None and row[0] <= version + 5 for row in queued)
        # the model folder is a complete, loadable model
        model = load_model(folder / "models" / rows(folder, "SELECT folder FROM models ORDER BY version DESC")[0][0])
        texts = [row[0] for row in rows(folder, "SELECT text FROM documents LIMIT 30")]
        assert set(model.predict(texts)) <= set(LABELS)


def test_concurrent_annotators_never_get_the_same_document(project):
    folder, _ = project
    with serving(folder) as server:
        admin = admin_client(server)
        clients = []
        for index in range(6):
            status, reply = admin.post("/api/annotators", {"name": f"annotator {index}"})
            assert status == 201
            clients.append(Client(server.url, reply["token"]))
        assert admin.post("/api/annotators", {"name": "annotator 0"})[0] == 422  # names are unique
        seen: dict[int, list[int]] = {}

        def work(index: int) -> None:
            for _ in range(5):
                document = clients[index].next()
                seen.setdefault(document["id"], []).append(index)
                clients[index].post(f"/api/documents/{document['id']}/skip")

        threads = [threading.Thread(target=work, args=(index,)) for index in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # a skipped document may go to someone else later, but two annotators never hold it at once
        holders = rows(folder, "SELECT document_id, COUNT(*) FROM assignments GROUP BY document_id HAVING COUNT(*) > 1")
        assert holders == []
        assert all(len(set(who)) == len(who) for who in seen.values())  # nobody saw a document twice
        assert sum(len(who) for who in seen.values()) == 30


def test_an_annotator_token_is_not_an_admin_token(project):
    folder, _ = project
    with serving(folder) as server:
        admin = admin_client(server)
        alice = Client(server.url, admin.post("/api/annotators", {"name": "alice"})[1]["token"])
        assert alice.get("/api/project")[1]["me"] == {"name": "alice", "admin": False}
        for method, path, body in [
            ("GET", "/api/export", None),
            ("GET", "/api/annotators", None),
            ("POST", "/api/annotators", {"name": "mallory"}),
            ("POST", "/api/export", {"format": "csv", "path": "x.csv"}),
        ]:
            status, reply = alice.request(method, path, body)
            assert status == 403 and "admin" in reply["detail"]
        status, reply = admin.post("/api/annotators/alice/token")
        assert status == 200
        assert alice.get("/api/project")[0] == 401  # the old token stops working
        assert Client(server.url, reply["token"]).get("/api/project")[0] == 200


def test_double_annotation_counts_agreement(tmp_path):
    texts, _ = write_texts(tmp_path)
    folder = new_project(tmp_path / "project", texts, annotations_per_document=2)
    with serving(folder) as server:
        admin = admin_client(server)
        alice = Client(server.url, admin.post("/api/annotators", {"name": "alice"})[1]["token"])
        bob = Client(server.url, admin.post("/api/annotators", {"name": "bob"})[1]["token"])
        first, second = alice.next(), alice.next()
        assert first["id"] == second["id"]
        alice.label(first["id"], "sport")
        stats = admin.get("/api/stats")[1]
        assert stats["labeled"] == 0 and stats["partially_labeled"] == 1
        # the half-labeled document goes to the second annotator first, never back to alice
        assert bob.next()["id"] == first["id"]
        assert alice.next()["id"] != first["id"]
        bob.label(first["id"], "sport")
        alice.label(5, "finance")
        bob.label(5, "science")
        status, reply = admin.label(5, "sport")
        assert status == 409 and "2 label" in reply["detail"]
        stats = admin.get("/api/stats")[1]
        assert stats["labeled"] == 2
        assert stats["agreement"] == {"documents": 2, "rate": 0.5}
        exported = admin.get("/api/export?format=jsonl")[1].decode().splitlines()
        assert len(exported) == 2
        assert '"annotations": {"alice": "finance", "bob": "science"}' in next(
            line for line in exported if '"doc-5"' in line
        )


def test_skip_undo_and_unlabelable(project):
    folder, _ = project
    with serving(folder) as server:
        client = admin_client(server)
        first = client.next()
        assert client.post(f"/api/documents/{first['id']}/skip")[0] == 200
        second = client.next()
        assert second["id"] != first["id"]
        status, undone = client.post("/api/undo")
        assert status == 200 and undone["kind"] == "skip" and undone["document"]["id"] == first["id"]
        assert client.next()["id"] == first["id"]

        client.label(first["id"], "sport")
        status, undone = client.post("/api/undo")
        assert undone == {**undone, "kind": "label", "document_id": first["id"], "label": "sport"}
        assert rows(folder, "SELECT COUNT(*) FROM annotations") == [(0,)]
        assert client.next()["id"] == first["id"]  # shown again to be labeled anew

        assert client.post(f"/api/documents/{first['id']}/unlabelable")[1]["changed"] is True
        stats = client.get("/api/stats")[1]
        assert stats["unlabelable"] == 1 and stats["remaining"] == 119
        status, reply = client.label(first["id"], "sport")
        assert status == 409 and "unlabelable" in reply["detail"]
        assert client.next()["id"] != first["id"]
        assert client.post("/api/undo")[1]["kind"] == "unlabelable"
        assert client.get("/api/stats")[1]["unlabelable"] == 0
        # undo walks back: the label undone before cannot be undone twice, the skip was undone too
        status, reply = client.post("/api/undo")
        assert status == 409 and "nothing to undo" in reply["detail"]


def test_a_correction_of_someone_elses_label_can_be_undone(project):
    folder, _ = project
    with serving(folder) as server:
        admin = admin_client(server)
        alice = Client(server.url, admin.post("/api/annotators", {"name": "alice"})[1]["token"])
        document = alice.next()
        alice.label(document["id"], "sport")
        status, reply = admin.put(f"/api/documents/{document['id']}/label", {"label": "science"})
        assert status == 200 and reply["previous_label"] == "sport"
        assert admin.get(f"/api/documents/{document['id']}")[1]["labels"] == {"admin": "science"}
        assert alice.post("/api/undo")[0] == 409  # her label was replaced: nothing of hers to undo
        assert admin.post("/api/undo")[1]["kind"] == "relabel"
        assert admin.get(f"/api/documents/{document['id']}")[1]["labels"] == {"alice": "sport"}
        assert admin.put("/api/documents/7/label", {"label": "sport"})[0] == 409  # not labeled yet


def test_export_writes_only_inside_the_project_folder(project, tmp_path):
    folder, truth = project
    with serving(folder) as server:
        client = admin_client(server)
        labeled = label_true(client, truth, 12)
        status, content = client.get("/api/export?format=csv")
        lines = content.decode().splitlines()
        assert status == 200 and lines[0] == "id,text,label,annotations" and len(lines) == 13
        assert {line.split(",")[0] for line in lines[1:]} == {document["external_id"] for document in labeled}
        for path in ["../outside.csv", str(tmp_path / "outside.csv"), "/etc/passwd", "activetext.db", "models/x"]:
            status, reply = client.post("/api/export", {"format": "csv", "path": path})
            assert status == 422 and repr(path) in reply["detail"], reply
        assert not (tmp_path / "outside.csv").exists()
        status, reply = client.post("/api/export", {"format": "jsonl", "path": "exports/labels.jsonl"})
        assert status == 200
        assert len((folder / "exports" / "labels.jsonl").read_text().splitlines()) == 12
        assert client.post("/api/export", {"format": "xml", "path": "a.xml"})[0] == 422
        wait_for(lambda: client.get("/api/stats")[1]["model"])
        status, archive = client.get("/api/export/model")
        assert status == 200
        with zipfile.ZipFile(BytesIO(archive)) as opened:
            assert "manifest.json" in opened.namelist()
            opened.extractall(tmp_path / "model")
        assert set(load_model(tmp_path / "model").predict(["goal match team coach", "bank stock market"])) <= set(
            LABELS
        )
        assert client.post("/api/export", {"format": "model", "path": "exports/model"})[0] == 200
        assert (folder / "exports" / "model" / "manifest.json").is_file()


def test_import_adds_texts_and_refuses_bad_uploads(project):
    folder, _ = project
    with serving(folder, upload_limit=4096) as server:
        client = admin_client(server)
        csv_content = b"id,text\nnew-1,a new goal match story\nnew-2,bank shares rise again\n"
        status, reply = client.post("/api/import?format=csv&id_column=id", raw=csv_content)
        assert status == 200 and reply == {"added": 2, "first_id": 120, "documents": 122}
        status, reply = client.post("/api/import?format=csv&id_column=id", raw=csv_content)
        assert status == 422 and "new-1" in reply["detail"]  # ids are unique: nothing is added
        status, reply = client.post("/api/import?format=jsonl", raw=b'{"text": "caf\xe9"}\n')
        assert status == 422 and "UTF-8" in reply["detail"]
        status, reply = client.post("/api/import?format=jsonl", raw=b'{"text": }\n')
        assert status == 422 and "line 1" in reply["detail"]
        status, reply = client.post("/api/import?format=csv&text_column=body", raw=b"text\nhello\n")
        assert status == 422 and "'body'" in reply["detail"]
        status, reply = client.post("/api/import?format=xml", raw=b"<a/>")
        assert status == 415
        status, reply = oversized(server.url, "/api/import?format=csv", server.admin_token, 4097)
        assert status == 413 and "the upload is larger than the limit of 4096 bytes" in reply["detail"]
        assert client.get("/api/stats")[1]["documents"] == 122
        imported = client.get("/api/documents/121")[1]
        assert imported["external_id"] == "new-2" and imported["text"] == "bank shares rise again"


def test_one_projects_token_opens_no_other_project(tmp_path):
    texts, _ = write_texts(tmp_path)
    first = new_project(tmp_path / "first", texts)
    second = new_project(tmp_path / "second", texts)
    with serving(first) as one, serving(second) as two:
        assert Client(two.url, one.admin_token).get("/api/export")[0] == 401
        assert Client(one.url, two.admin_token).get("/api/next")[0] == 401
        assert Client(one.url, one.admin_token).get("/api/project")[0] == 200


def test_a_restarted_server_resumes_labels_queue_and_model(project):
    folder, truth = project
    with serving(folder) as server:
        client = admin_client(server)
        label_true(client, truth, 20)
        wait_for(lambda: client.get("/api/stats")[1]["model"])
        shown = client.next()
        before = client.get("/api/stats")[1]
        queue = rows(folder, "SELECT document_id, position FROM queue ORDER BY position")
    with serving(folder) as server:
        client = Client(server.url, server.admin_token)
        assert client.next()["id"] == shown["id"]  # the reservation survived
        after = client.get("/api/stats")[1]
        assert after["labeled"] == before["labeled"] == 20
        assert after["per_label"] == before["per_label"]
        assert after["model"]["version"] >= before["model"]["version"]
        assert after["curve"][: len(before["curve"])] == before["curve"]
    assert rows(folder, "SELECT document_id, position FROM queue ORDER BY position") == queue
