"""The access-token scopes hirebot needs from Workable, what each one is for, and which request needs which,
so a 403 can name the scope a token lacks."""

from __future__ import annotations

R_JOBS = "r_jobs"
R_CANDIDATES = "r_candidates"
W_CANDIDATES = "w_candidates"
W_COMMENTS = "w_comments"

SCOPE_PURPOSE = {
    R_JOBS: "read jobs, stages and members",
    R_CANDIDATES: "read candidates",
    W_CANDIDATES: "add candidates",
    W_COMMENTS: "comment on candidates",
}

TOKEN_ADVICE = ("Create the token in Workable under Settings > Integrations > Apps > API Access Tokens with the "
                "scopes r_jobs, r_candidates, w_candidates and w_comments.")


def scope_for(method: str, path: str) -> str:
    """The scope Workable checks for a request (paths under the API root, without a query)."""
    path = path.split("?", 1)[0]
    if method.upper() == "GET":
        return R_CANDIDATES if path.startswith(("/candidates", "/subscriptions")) else R_JOBS
    if path.endswith("/comments"):
        return W_COMMENTS
    if path.startswith("/subscriptions"):
        return R_CANDIDATES
    return W_CANDIDATES
