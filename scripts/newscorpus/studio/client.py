"""The connection to Label Studio: LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY (a legacy token or a personal
access token, which the SDK's client tells apart and refreshes), paged task lists, the snapshot export,
and errors that name the server, never the key."""

from __future__ import annotations

import os
import time

from ..errors import RemoteError, SetupError

PAGE_SIZE = 5000


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
