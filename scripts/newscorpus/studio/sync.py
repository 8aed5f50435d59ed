"""Push articles to a Label Studio project and pull the annotations back into annotations/.

The server is LABEL_STUDIO_URL, the credential LABEL_STUDIO_API_KEY: a legacy token or a personal access
token (the SDK's client tells them apart and refreshes a PAT's access token). The key is never put in a
message, a log or a file.

Push is idempotent. A task holds its article's id, the SHA-256 of the text and a fingerprint of the gold
records it was given as a prediction; an article whose task exists is not imported again, and its
prediction is replaced only when the local gold changed. Pull exports the project through the snapshot
export API (the plain export and JSON_MIN lose region ids and relations), converts every submitted
annotation (convert.py), and merges: each annotator's latest annotation becomes `candidate` rows under a
pseudonym, the adjudicated one (the `ground_truth` flag, or --gold) becomes the article's `gold` rows.
Every annotation is validated with the corpus; one that would add an error is refused with findings, the
others go in. Rows take their updated_at from the annotation, so a pull with nothing new writes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from ..store import storage
from ..contract import ANNOTATION_TABLES, load_contract
from ..errors import InputError, Refused, RemoteError, SetupError
from ..findings import ERROR, Finding, sort_findings
from ..store.importer import ErrorGate, TableChange, records_to_table, table_change
from . import config as cfg
from . import preannotate as pre
from .convert import TABLE, Origin, gold_fingerprint, records_to_result, result_to_records

DEFAULT_TITLE = "newscorpus"
SALT_PATH = Path("annotations") / ".pseudonym-salt"
PAGE_SIZE = 5000
IMPORT_CHUNK = 2000
GOLD_RULES = ("ground-truth", "single", "none")
PREANNOTATE = ("gazetteer", "model", "gazetteer+model", "none")


# --- the connection --------------------------------------------------------------------------------------

class Client:
    """Label Studio's REST API through the SDK's authenticated HTTP client; JSON in and out, errors as
    RemoteError (one line, no token)."""

    def __init__(self, url: str | None = None, api_key: str | None = None, timeout: float = 600.0):
        url = url or os.environ.get("LABEL_STUDIO_URL")
        key = api_key or os.environ.get("LABEL_STUDIO_API_KEY")
        if not url or not key:
            raise SetupError("set LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY (a legacy token or a personal access token)")
        from label_studio_sdk.client import LabelStudio
        from label_studio_sdk.core.api_error import ApiError

        self.url = url.rstrip("/")
        self._key = key
        self._api_error = ApiError
        try:
            self._ls = LabelStudio(base_url=self.url, api_key=key, timeout=timeout)
        except ApiError as exc:
            raise RemoteError(f"{self.url}: the API key is not usable ({self._detail(exc.body)})") from None
        self._http = self._ls._client_wrapper.httpx_client

    def _detail(self, body) -> str:
        if isinstance(body, dict):
            text = str(body.get("detail") or body.get("validation_errors") or body)
        else:
            text = str(body)
        return " ".join(text.replace(self._key, "***").split())[:300]

    def request(self, method: str, path: str, *, params=None, json=None, raw: bool = False):
        import httpx

        try:
            resp = self._http.request(path, method=method, params=params, json=json)
        except httpx.HTTPError as exc:
            raise RemoteError(f"{method} {self.url}/{path}: {type(exc).__name__}: {self._detail(exc)}") from None
        except self._api_error as exc:  # the PAT could not be exchanged for an access token
            raise RemoteError(f"{self.url}: authentication failed (HTTP {exc.status_code}: {self._detail(exc.body)})") from None
        if resp.status_code >= 400:
            try:
                body = resp.json()
            except ValueError:
                body = resp.text[:200]
            raise RemoteError(f"{method} {self.url}/{path}: HTTP {resp.status_code}: {self._detail(body)}")
        if raw:
            return resp.content
        if not resp.content:
            return None
        try:
            return resp.json()
        except ValueError:
            raise RemoteError(f"{method} {self.url}/{path}: the answer is not JSON") from None

    # projects ------------------------------------------------------------------------------------------
    def find_project(self, title: str) -> dict | None:
        found, page = [], 1
        while True:
            data = self.request("GET", "api/projects/", params={"title": title, "page_size": 100, "page": page})
            found += [p for p in data["results"] if p["title"] == title]
            if not data.get("next"):
                break
            page += 1
        if len(found) > 1:
            raise RemoteError(f"{len(found)} projects are titled {title!r} (ids {', '.join(str(p['id']) for p in found)}); rename all but one")
        return found[0] if found else None

    def list_tasks(self, project_id: int) -> list[dict]:
        """Every task of the project (id and data), a few large pages."""
        out, page = [], 1
        while True:
            try:
                data = self.request("GET", "api/tasks/", params={"project": project_id, "page_size": PAGE_SIZE, "page": page,
                                                                 "fields": "task_only"})
            except RemoteError as exc:
                if "HTTP 404" in str(exc) and page > 1:
                    break
                raise
            tasks = data.get("tasks", [])
            out += [{"id": t["id"], "data": t["data"], "total_annotations": t.get("total_annotations") or 0} for t in tasks]
            if len(tasks) < PAGE_SIZE or len(out) >= data.get("total", 0):
                break
            page += 1
        return out

    def snapshot(self, project_id: int, wait: float = 600.0) -> list[dict]:
        """The project as the snapshot export gives it (tasks with annotations, region ids and relations)."""
        # predictions in full, not their ids: pull compares each annotation with the pre-annotation it started from
        snap = self.request("POST", f"api/projects/{project_id}/exports/",
                            json={"title": "newscorpus pull", "serialization_options": {"predictions": {"only_id": False}}})
        sid = snap["id"]
        try:
            deadline = time.monotonic() + wait
            while snap.get("status") not in ("completed", "failed"):
                if time.monotonic() > deadline:
                    raise RemoteError(f"the snapshot export {sid} of project {project_id} did not complete in {wait:.0f} s")
                time.sleep(0.5)
                snap = self.request("GET", f"api/projects/{project_id}/exports/{sid}")
            if snap["status"] == "failed":
                raise RemoteError(f"the snapshot export {sid} of project {project_id} failed")
            import json as _json

            raw = self.request("GET", f"api/projects/{project_id}/exports/{sid}/download", params={"exportType": "JSON"}, raw=True)
            try:
                return _json.loads(raw)
            except ValueError:
                raise RemoteError(f"the snapshot export {sid} of project {project_id} is not JSON") from None
        finally:
            try:
                self.request("DELETE", f"api/projects/{project_id}/exports/{sid}")
            except RemoteError:
                pass

    def users(self) -> dict[int, str]:
        data = self.request("GET", "api/users/")
        users = data if isinstance(data, list) else data.get("results", []) if isinstance(data, dict) else None
        if not isinstance(users, list):
            raise RemoteError(f"GET {self.url}/api/users/: the answer is not a list of users")
        return {u["id"]: u.get("email") if isinstance(u.get("email"), str) else "" for u in users
                if isinstance(u, dict) and isinstance(u.get("id"), int)}


# --- pseudonyms --------------------------------------------------------------------------------------------

def load_salt(root: Path, create: bool = True) -> bytes:
    """The corpus' pseudonym salt (annotations/.pseudonym-salt, 32 random bytes as hex), created on first use."""
    path = Path(root) / SALT_PATH
    if path.is_file():
        value = path.read_text(encoding="ascii").strip()
        if len(value) < 32:
            raise InputError(f"{path}: too short to be a pseudonym salt; restore it from git")
        return value.encode("ascii")
    value = secrets.token_hex(32)
    if create:  # the caller holds the corpus lock; written whole or not at all, so a kill never leaves half a salt
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with open(tmp, "w", encoding="ascii") as fh:
            fh.write(value + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    return value.encode("ascii")


def pseudonym(salt: bytes, email: str | None, user_id: int | None = None) -> str:
    """ls- and the first 12 hex digits of HMAC-SHA256(salt, e-mail lowercased): stable while the salt is,
    not reversible without it, never the e-mail. A user with no e-mail is keyed by the Label Studio user id."""
    key = email.strip().lower() if email and email.strip() else f"label-studio-user-id:{user_id}"
    return "ls-" + hmac.new(salt, key.encode("utf-8"), hashlib.sha256).hexdigest()[:12]


# --- shared helpers --------------------------------------------------------------------------------------

def _utc(stamp: str | None) -> str:
    """An ISO 8601 time as YYYY-MM-DDTHH:MM:SSZ (UTC, whole seconds)."""
    if not stamp:
        return "1970-01-01T00:00:00Z"
    t = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _rows_by_article(table: pa.Table, status: str | None = None) -> dict[str, list]:
    if table.num_rows and status:
        table = table.filter(pc.equal(table["status"], status))
    out = defaultdict(list)
    for row in table.to_pylist():
        out[row["article_id"]].append(row)
    return out


def _project_settings(root: Path, contract) -> dict:
    """The project's config and instructions, and a description naming their fingerprint: Label Studio
    normalises the XML and sanitises the HTML it stores, so the fingerprint is what push compares."""
    settings = {"label_config": cfg.label_config(contract), "expert_instruction": cfg.instructions(root, contract),
                "show_instruction": True}
    digest = hashlib.sha256("\0".join(str(v) for v in settings.values()).encode("utf-8")).hexdigest()[:16]
    settings["description"] = (f"Generated by newscorpus from schema/ (ontology {contract.version}); "
                               f"do not edit the labeling config here. Fingerprint {digest}.")
    return settings


def _task_data(article: dict, fingerprint: str) -> dict:
    return {"text": article["text"], "article_id": article["id"], "text_sha256": article["text_sha256"],
            "heading": article["title"] or article["id"], "gold_sha256": fingerprint}


# --- push ------------------------------------------------------------------------------------------------

@dataclass
class PushResult:
    project_id: int | None
    created: int = 0
    predictions_updated: int = 0
    unchanged: int = 0
    project_created: bool = False
    config_updated: bool = False
    findings: list = field(default_factory=list)
    dry_run: bool = False
    preannotated: int = 0  # tasks sent (or re-sent) a pre-annotation prediction; not in predictions_updated
    preannotation: str | None = None  # its model_version

    def summary(self) -> str:
        what = "would create" if self.dry_run else "created"
        proj = " (new project)" if self.project_created else (" (config updated)" if self.config_updated else "")
        pre = f", {self.preannotated} pre-annotated ({self.preannotation})" if self.preannotated else ""
        return (f"project {self.project_id}{proj}: {what} {self.created} task(s), {self.predictions_updated} prediction(s) "
                f"replaced, {self.unchanged} task(s) unchanged{pre}" + (", dry run: nothing sent" if self.dry_run else ""))


def preannotator(root: Path, contract, tables: dict, mode: str = "gazetteer", model: str | None = None) -> pre.Preannotator | None:
    """The pre-annotator of `mode` (one of PREANNOTATE), None for none. InputError if the mode needs a model and
    none is named, if a model is named for a mode that does not use it, or if the model cannot be loaded."""
    if mode not in PREANNOTATE:
        raise InputError(f"unknown pre-annotation {mode!r}: use {', '.join(PREANNOTATE)}")
    uses_model = mode in ("model", "gazetteer+model")
    if uses_model and not model:
        raise InputError(f"--preannotate {mode} needs --model (an installed spaCy pipeline or a pipeline folder)")
    if model and not uses_model:
        raise InputError(f"--model is used only with --preannotate model or gazetteer+model, not {mode}")
    if mode == "none":
        return None
    gaz = None
    if mode in ("gazetteer", "gazetteer+model"):
        ents = tables["entities"]
        gold = ents.filter(pc.equal(ents["status"], "gold")).to_pylist() if ents.num_rows else []
        gaz = pre.build_gazetteer(gold, contract)
    return pre.Preannotator(gaz, pre.SpacyModel(model, contract) if uses_model else None)


def push(root: Path, title: str = DEFAULT_TITLE, client: Client | None = None, dry_run: bool = False, progress=None,
         preannotate: str = "gazetteer", model: str | None = None) -> PushResult:
    """Create or update the project, import the articles that have no task yet, with their gold as predictions.
    An article without gold gets a pre-annotation prediction instead (`preannotate`, see preannotate.py); it is
    refreshed on a later push when the pre-annotator changed and the task has no annotation yet."""
    root = Path(root)
    contract = load_contract(root)
    tables = storage.all_tables(root, contract)
    suggester = preannotator(root, contract, tables, preannotate, model)  # before anything is sent: a bad model stops here
    client = client or Client()
    arts = tables["articles"].to_pylist()
    gold = {t: _rows_by_article(tables[t], "gold") for t in ANNOTATION_TABLES}
    settings = _project_settings(root, contract)
    project = client.find_project(title)
    result = PushResult(project["id"] if project else None, dry_run=dry_run)
    if project is None:
        result.project_created = True
        if not dry_run:
            project = client.request("POST", "api/projects/", json={"title": title, **settings})
            result.project_id = project["id"]
    elif project.get("description") != settings["description"]:
        result.config_updated = True
        if not dry_run:
            client.request("PATCH", f"api/projects/{project['id']}/", json=settings)
    existing = {}
    if project is not None:
        for task in client.list_tasks(project["id"]):
            aid = task["data"].get("article_id")
            if aid is not None:
                existing.setdefault(aid, task)
    model_version = f"gold-{contract.version}"
    new_tasks, updates = [], []
    result.preannotation = suggester.version if suggester else None

    def suggestion(art):
        p = suggester.prediction(art["text"])
        result.preannotated += p is not None
        return [p] if p else []

    for art in sorted(arts, key=lambda a: a["id"]):
        aid = art["id"]
        ents, evs, cls = gold["entities"].get(aid, []), gold["events"].get(aid, []), gold["claims"].get(aid, [])
        fp = gold_fingerprint(ents, evs, cls)
        task = existing.get(aid)
        has_gold = bool(ents or evs or cls)
        pred = ([{"model_version": model_version, "score": 1.0, "result": records_to_result(aid, ents, evs, cls)}]
                if has_gold else [])
        version = None if has_gold or suggester is None else suggester.version
        if task is None:
            data = _task_data(art, fp)
            if version:
                pred, data["preannotation"] = suggestion(art), version
            new_tasks.append({"data": data, "predictions": pred})
        elif task["data"].get("text_sha256") != art["text_sha256"]:
            result.findings.append(Finding("studio-text-changed", TABLE, f"task {task['id']}", "data.text_sha256",
                                           f"article {aid} changed since it was pushed; its task was left as it is"))
        elif task["data"].get("gold_sha256") != fp:
            updates.append((task, art, fp, pred, None))
        elif version and task["data"].get("preannotation") != version and not task.get("total_annotations"):
            updates.append((task, art, fp, suggestion(art), version))  # a better gazetteer, nobody annotated it yet
        else:
            result.unchanged += 1
    result.created, result.predictions_updated = len(new_tasks), sum(1 for u in updates if u[4] is None)  # gold replaced
    if dry_run:
        return result
    for i in range(0, len(new_tasks), IMPORT_CHUNK):
        client.request("POST", f"api/projects/{project['id']}/import", json=new_tasks[i:i + IMPORT_CHUNK])
        if progress:
            progress(f"imported {min(i + IMPORT_CHUNK, len(new_tasks))}/{len(new_tasks)} tasks")
    for task, art, fp, pred, version in updates:
        old = client.request("GET", "api/predictions/", params={"task": task["id"]})
        for p in old if isinstance(old, list) else old.get("results", []):
            if str(p.get("model_version", "")).startswith("gold-") or pre.is_preannotation(p.get("model_version")):
                client.request("DELETE", f"api/predictions/{p['id']}/")
        for p in pred:
            client.request("POST", "api/predictions/", json={"task": task["id"], **p})
        data = {**task["data"], **_task_data(art, fp)}
        data.pop("preannotation", None)
        if version:
            data["preannotation"] = version
        client.request("PATCH", f"api/tasks/{task['id']}/", json={"data": data})
    result.findings = sort_findings(result.findings)
    return result


# --- pull ------------------------------------------------------------------------------------------------

@dataclass
class PullResult:
    project_id: int
    tasks: int = 0
    annotations: int = 0
    accepted: int = 0
    refused: int = 0
    gold_articles: list = field(default_factory=list)
    changes: dict = field(default_factory=dict)  # table -> TableChange
    findings: list = field(default_factory=list)
    written: bool = False
    dry_run: bool = False
    preannotation: dict | None = None  # this project's pre-annotation figures (preannotate.summarize)

    @property
    def changed(self) -> bool:
        return any(c.added or c.updated or c.removed for c in self.changes.values())

    def summary(self) -> list[str]:
        lines = [f"project {self.project_id}: {self.tasks} task(s), {self.annotations} annotation(s) read, "
                 f"{self.accepted} accepted, {self.refused} refused; gold taken for {len(self.gold_articles)} article(s)"]
        for t, c in self.changes.items():
            lines.append(f"{t}: {len(c.added)} added, {len(c.updated)} updated, {len(c.removed)} removed, {c.unchanged} unchanged")
        if self.preannotation:
            lines.append("pre-annotation: " + pre.format_figures(self.preannotation))
        if self.dry_run:
            lines.append("dry run: nothing written")
        elif not self.changed:
            lines.append("nothing changed")
        return lines


@dataclass
class _Converted:
    key: tuple  # (task id, annotation id)
    article_id: str
    annotator: str
    status: str
    records: dict


def _pick_gold(anns: list, rule: str, pseud: dict) -> tuple[dict | None, str | None]:
    """The annotation of a task that becomes gold under `rule`, or None; and a message if ambiguous."""
    if rule == "none":
        return None, None
    if rule.startswith("annotator:"):
        name = rule.split(":", 1)[1]
        mine = [a for a in anns if pseud[a["id"]] == name]
        if len(mine) > 1:
            return None, f"annotator {name} has {len(mine)} annotations"
        return (mine[0] if mine else None), None
    gt = [a for a in anns if a.get("ground_truth")]
    if len(gt) > 1:
        return None, f"{len(gt)} annotations are marked ground truth"
    if gt:
        return gt[0], None
    if rule == "single" and len(anns) == 1:
        return anns[0], None
    return None, None


def _suggestion_of(annotation: dict, task: dict) -> dict | None:
    """The pre-annotation prediction an annotation started from: its parent prediction when that is one, else
    the task's latest pre-annotation prediction (what the annotator was shown). None if the task has none."""
    preds = [p for p in task.get("predictions") or [] if isinstance(p, dict)]
    parent = annotation.get("prediction")
    if not (isinstance(parent, dict) and "result" in parent):
        parent = next((p for p in preds if p.get("id") == annotation.get("parent_prediction")), None)
    if isinstance(parent, dict) and pre.is_preannotation(parent.get("model_version")):
        return parent
    if parent is not None and str(parent.get("model_version", "")).startswith("gold-"):
        return None
    ours = [p for p in preds if pre.is_preannotation(p.get("model_version"))]
    return max(ours, key=lambda p: p.get("id") or 0) if ours else None


def check_gold_rule(rule: str) -> str:
    if rule in GOLD_RULES or (rule.startswith("annotator:") and len(rule) > len("annotator:")):
        return rule
    raise InputError(f"unknown adjudication rule {rule!r}: use ground-truth, single, none or annotator:<pseudonym>")


def pull(root: Path, title: str = DEFAULT_TITLE, client: Client | None = None, gold_rule: str = "ground-truth",
         dry_run: bool = False, progress=None) -> PullResult:
    """Export the project, convert and validate every submitted annotation, merge the good ones into annotations/."""
    root = Path(root)
    check_gold_rule(gold_rule)
    contract = load_contract(root)
    client = client or Client()
    project = client.find_project(title)
    if project is None:
        raise InputError(f"no Label Studio project titled {title!r} at {client.url}; push first")
    pid = project["id"]
    if progress:
        progress("exporting the project (snapshot)")
    export = check_export(client.snapshot(pid), pid)
    if export and not any(isinstance((t.get("data") or {}).get("article_id"), str) for t in export):
        raise InputError(f"project {title!r} (id {pid}) at {client.url}: none of its {len(export)} task(s) has data.article_id; "
                         "it is not a project pushed by newscorpus (another labeling config?); nothing was pulled")
    users = client.users()
    result = PullResult(pid, tasks=len(export), dry_run=dry_run)
    findings: list[Finding] = []
    with storage.corpus_lock(root):
        old_figures = pre.read_figures(root)  # a damaged file stops the pull before anything is written
        salt = load_salt(root, create=not dry_run)
        tables = storage.all_tables(root, contract)
        articles = {a["id"]: a for a in tables["articles"].select(["id", "text", "text_sha256"]).to_pylist()}
        local_gold = {t: _rows_by_article(tables[t], "gold") for t in ANNOTATION_TABLES}
        converted: list[_Converted] = []
        gold_articles: dict[str, tuple] = {}  # article id -> annotation key that gives its gold
        figures: dict[tuple, tuple[str, dict]] = {}  # annotation key -> (source_ref, pre-annotation figures)
        for task in sorted(export, key=lambda t: t["id"]):
            tid, data = task["id"], task.get("data") or {}
            aid = data.get("article_id")
            anns = [a for a in task.get("annotations") or [] if not a.get("was_cancelled")]
            if not anns:
                continue
            art = articles.get(aid) if isinstance(aid, str) else None
            if art is None:
                findings.append(Finding("studio-article-unknown", TABLE, f"task {tid}", "data.article_id",
                                        f"article {aid!r} is not in the corpus; {len(anns)} annotation(s) left in Label Studio"))
                continue
            result.annotations += len(anns)
            if data.get("text_sha256") != art["text_sha256"]:
                for a in anns:
                    findings.append(Finding("studio-text-changed", TABLE, f"task {tid} annotation {a['id']}", "data.text_sha256",
                                            f"article {aid} changed since it was pushed; the annotation is refused, not re-anchored"))
                continue
            pseud = {a["id"]: pseudonym(salt, *_annotator(a.get("completed_by"), users)) for a in anns}
            latest: dict[str, dict] = {}
            for a in sorted(anns, key=lambda a: (a.get("updated_at") or "", a["id"])):
                if pseud[a["id"]] in latest:
                    old = latest[pseud[a["id"]]]
                    findings.append(Finding("studio-annotation-superseded", TABLE, f"task {tid} annotation {old['id']}", None,
                                            f"annotator {pseud[a['id']]} has a later annotation {a['id']} of this task"))
                latest[pseud[a["id"]]] = a
            chosen, why = _pick_gold(anns, gold_rule, pseud)
            if why:
                findings.append(Finding("studio-gold-ambiguous", TABLE, f"task {tid}", None, why + "; no gold taken"))
            todo = [(a, "candidate") for a in latest.values()]
            for a in latest.values():
                sent = _suggestion_of(a, task)
                if sent is not None:
                    ref = Origin(pid, tid, a["id"], "", "", "").source_ref
                    figures[(tid, a["id"])] = (ref, {"model_version": sent.get("model_version"),
                                                     **pre.compare(sent.get("result"), a.get("result"))})
            if chosen is not None:
                todo.append((chosen, "gold"))
            failed = set()
            for a, status in todo:
                if a["id"] in failed:
                    continue
                origin = Origin(pid, tid, a["id"], pseud[a["id"]], status, _utc(a.get("updated_at") or a.get("created_at")))
                prefix = aid if status == "gold" else f"{aid}/{origin.annotator}"
                records, found = result_to_records(a.get("result"), aid, art["text"], origin, contract, prefix)
                findings += found
                if any(f.severity == ERROR for f in found):
                    failed.add(a["id"])
                    continue
                if status == "gold":
                    conflict = _gold_conflict(local_gold, aid, data.get("gold_sha256"), records, pid, tid)
                    if conflict:
                        findings.append(Finding("studio-gold-conflict", TABLE, origin.record, None, conflict))
                        continue
                    gold_articles[aid] = (tid, a["id"])
                converted.append(_Converted((tid, a["id"]), aid, origin.annotator, status, records))
        changes, refused_keys, more = _merge_validated(contract, tables, converted)
        findings += more
        accepted = {c.key for c in converted} - refused_keys
        error_keys = {(int(f.record.split()[1]), int(f.record.split()[3])) for f in findings
                      if f.severity == ERROR and f.record and f.record.startswith("task ") and len(f.record.split()) == 4}
        result.refused = len(error_keys - accepted)
        result.accepted = len(accepted)
        result.gold_articles = sorted(a for a, k in gold_articles.items() if k not in refused_keys)
        result.changes = {t: table_change(tables[t], changes[t]) for t in ANNOTATION_TABLES} if changes else \
            {t: TableChange(unchanged=tables[t].num_rows) for t in ANNOTATION_TABLES}
        result.findings = sort_findings(findings)
        if result.changed and not dry_run:
            storage.write_tables(root, {t: changes[t] for t in ANNOTATION_TABLES if _is_changed(result.changes[t])}, contract)
            result.written = True
        # the figures of the annotations that went in; this project's earlier ones are replaced
        mine = dict(v for k, v in sorted(figures.items()) if k in accepted)
        result.preannotation = pre.summarize(mine)
        if not dry_run:
            stored = pre.merge_figures(old_figures, f"label-studio:project/{pid}/", mine)
            pre.write_figures(root, stored)
    return result


def _annotator(completed_by, users: dict) -> tuple[str | None, int | None]:
    """(e-mail, user id) of an annotation's author: the export gives a user id, or an object with id and e-mail."""
    if isinstance(completed_by, dict):
        uid = completed_by.get("id") if isinstance(completed_by.get("id"), int) else None
        email = completed_by.get("email") if isinstance(completed_by.get("email"), str) else None
        return users.get(uid) or email, uid
    uid = completed_by if isinstance(completed_by, int) and not isinstance(completed_by, bool) else None
    return users.get(uid), uid


def _is_time(value) -> bool:
    try:
        _utc(value)
    except (TypeError, ValueError, AttributeError, OverflowError):
        return False
    return True


def check_export(export, project_id) -> list:
    """The snapshot export, after checking it has Label Studio's shape: a list of tasks with integer ids and data
    objects, their annotations objects with integer ids and ISO 8601 times. RemoteError naming the task otherwise
    (a truncated or foreign file, a changed API): then nothing is pulled."""
    where = f"the snapshot export of project {project_id}"
    if not isinstance(export, list):
        raise RemoteError(f"{where} is not a list of tasks (it is a JSON {type(export).__name__})")
    seen = set()
    for i, task in enumerate(export):
        if not isinstance(task, dict) or not isinstance(task.get("id"), int) or isinstance(task.get("id"), bool):
            raise RemoteError(f"{where}: item {i} is not a task with an integer id")
        tid = task["id"]
        if tid in seen:
            raise RemoteError(f"{where}: task {tid} appears twice")
        seen.add(tid)
        if not isinstance(task.get("data") or {}, dict):
            raise RemoteError(f"{where}: task {tid}: data is not an object")
        anns = task.get("annotations") or []
        if not isinstance(anns, list):
            raise RemoteError(f"{where}: task {tid}: annotations is not a list")
        ann_ids = set()
        for j, a in enumerate(anns):
            if not isinstance(a, dict) or not isinstance(a.get("id"), int) or isinstance(a.get("id"), bool):
                raise RemoteError(f"{where}: task {tid}: annotation {j} is not an object with an integer id")
            if a["id"] in ann_ids:
                raise RemoteError(f"{where}: task {tid}: annotation {a['id']} appears twice")
            ann_ids.add(a["id"])
            for key in ("updated_at", "created_at"):
                if a.get(key) is not None and not _is_time(a[key]):
                    raise RemoteError(f"{where}: task {tid} annotation {a['id']}: {key} {str(a[key])[:40]!r} is not an ISO 8601 time")
    return export


def _is_changed(c: TableChange) -> bool:
    return bool(c.added or c.updated or c.removed)


def _gold_conflict(local_gold: dict, aid: str, pushed_fp: str | None, new_records: dict, pid: int, tid: int) -> str | None:
    """Why the local gold of `aid` must not be replaced, or None. It may be when there is none, when it is what
    was pushed (fingerprint in the task), when it came from this very task in Label Studio, or when it equals
    what the pull would write."""
    rows = {t: local_gold[t].get(aid, []) for t in ANNOTATION_TABLES}
    if not any(rows.values()):
        return None
    if gold_fingerprint(rows["entities"], rows["events"], rows["claims"]) == pushed_fp:
        return None
    prefix = f"label-studio:project/{pid}/task/{tid}/"
    if all(r["origin"] == "label-studio" and (r["source_ref"] or "").startswith(prefix) for rs in rows.values() for r in rs):
        return None
    if all(sorted(rows[t], key=lambda r: r["id"]) == sorted(new_records[t], key=lambda r: r["id"]) for t in ANNOTATION_TABLES):
        return None
    n = sum(len(v) for v in rows.values())
    return (f"the {n} local gold row(s) of article {aid} changed since the push; the ground truth would overwrite them, "
            "so they are kept (push to refresh the prediction, then adjudicate again)")


def _assemble(tables: dict, converted: list, contract) -> dict:
    """The annotation tables with the converted annotations merged: an annotator's candidate rows of an article
    replace their earlier Label Studio candidate rows of it; gold rows replace all gold rows of the article."""
    cand_keys = sorted({f"{c.article_id}|{c.annotator}" for c in converted if c.status == "candidate"})
    gold_aids = sorted({c.article_id for c in converted if c.status == "gold"})
    out = {}
    for t in ANNOTATION_TABLES:
        data = tables[t]
        if data.num_rows:
            key = pc.binary_join_element_wise(data["article_id"], data["annotator"], "|")
            drop_cand = pc.and_(pc.and_(pc.equal(data["status"], "candidate"), pc.equal(data["origin"], "label-studio")),
                                pc.is_in(key, value_set=pa.array(cand_keys, pa.string())))
            drop_gold = pc.and_(pc.equal(data["status"], "gold"), pc.is_in(data["article_id"], value_set=pa.array(gold_aids, pa.string())))
            keep = data.filter(pc.invert(pc.or_(drop_cand, drop_gold)))
        else:
            keep = data
        new = records_to_table([r for c in converted for r in c.records[t]], t, contract)
        out[t] = pa.concat_tables([keep, new.cast(keep.schema)]) if new.num_rows else keep
    return out


def _merge_validated(contract, tables: dict, converted: list) -> tuple[dict | None, set, list]:
    """Merge, validate with the whole corpus, drop the annotations whose records add an error, repeat.
    Returns (new tables or None if nothing converted, refused annotation keys, findings)."""
    if not converted:
        return None, set(), []
    gate = ErrorGate(contract, tables)
    owner = {}
    for c in converted:
        for t in ANNOTATION_TABLES:
            for r in c.records[t]:
                owner[(t, r["id"])] = c.key
    refused: set = set()
    findings = []
    while True:
        keep = [c for c in converted if c.key not in refused]
        merged = _assemble(tables, keep, contract)
        new_errors, _ = gate.new_errors(merged)
        if not new_errors:
            return merged, refused, findings
        blame = defaultdict(list)
        for f in new_errors:
            key = owner.get((f.table, f.record))
            if key is None or key in refused:
                raise Refused(f"refused: the pulled annotations would add {len(new_errors)} error(s) that cannot be traced "
                              "to one annotation; nothing was written", new_errors)
            blame[key].append(f)
        for key, fs in sorted(blame.items()):
            refused.add(key)
            findings += fs
            findings.append(Finding("studio-annotation-refused", TABLE, f"task {key[0]} annotation {key[1]}", None,
                                    f"its records would add {len(fs)} error(s) ({', '.join(sorted({f.check for f in fs}))}); nothing of it is stored"))
