"""Calling the model: versioned prompts from prompts/ai/, redaction before sending, retries within a time
budget, validated structured output, and a record of every call (prompt version, tokens, latency, outcome)."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Literal, TypeVar

import openai
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import Engine
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_delay

from bot.ai.redact import redact
from bot.clock import Clock
from storage.db import session_scope
from storage.models import ModelCall

logger = logging.getLogger(__name__)
PROMPTS = files("prompts") / "ai"
T = TypeVar("T")


class AIUnavailable(Exception):
    """The model could not help this time; the message is one line for the person."""


@dataclass(frozen=True)
class Prompt:
    name: str
    text: str

    @property
    def version(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()[:12]


@cache
def prompt(name: str) -> Prompt:
    return Prompt(name, (PROMPTS / f"{name}.md").read_text(encoding="utf-8").strip())


class Assessment(BaseModel):
    """The model's reading of a free-text answer: a proposal, never an answer."""

    status: Literal["met", "partly", "not_yet", "unclear"]
    reason: str = Field(min_length=1, max_length=400)
    missing_evidence: str = Field(default="", max_length=400)
    follow_up: str | None = Field(default=None, max_length=300)


class Preread(BaseModel):
    questions: list[str] = Field(min_length=1, max_length=3)


class Summary(BaseModel):
    paragraph: str = Field(min_length=1, max_length=1200)


def _transient(error: BaseException) -> bool:
    if isinstance(error, (openai.APITimeoutError, openai.APIConnectionError, openai.RateLimitError)):
        return True
    return isinstance(error, openai.APIStatusError) and error.status_code >= 500


def _wait(state: RetryCallState) -> float:
    """Wait as long as Retry-After says, else back off exponentially (0.5 s, 1 s, 2 s, at most 4 s)."""
    error = state.outcome.exception() if state.outcome else None
    response = getattr(error, "response", None)
    after = response.headers.get("retry-after") if response is not None else None
    if after:
        try:
            return min(float(after), 10.0)
        except ValueError:
            pass
    return min(0.5 * 2 ** (state.attempt_number - 1), 4.0)


class Assistant:
    """One model, one time budget per call, every call recorded."""

    def __init__(self, *, api_key: str, base_url: str | None, model: str, budget_seconds: float,
                 engine: Engine, clock: Clock) -> None:
        self.model = model
        self.budget = budget_seconds
        self.engine = engine
        self.clock = clock
        self.client = openai.OpenAI(api_key=api_key, base_url=base_url or None, max_retries=0,
                                    timeout=budget_seconds)

    def assess(self, question: str, met_looks_like: str, reply: str, *, workspace_id: int | None,
               initiative_id: int | None) -> Assessment:
        content = f"Question: {question}\nWhat met looks like: {met_looks_like}\nThe reply:\n{reply}"
        return self._complete(prompt("assess_answer"), content, Assessment.model_validate_json,
                              workspace_id=workspace_id, initiative_id=initiative_id, json=True)

    def executive_summary(self, review_text: str, *, workspace_id: int | None, initiative_id: int | None) -> str:
        return self._complete(prompt("executive_summary"), review_text,
                              lambda text: Summary(paragraph=text.strip()).paragraph,
                              workspace_id=workspace_id, initiative_id=initiative_id, json=False)

    def preread(self, request_text: str, *, workspace_id: int | None, initiative_id: int | None) -> list[str]:
        return self._complete(prompt("approver_preread"), request_text,
                              lambda text: Preread.model_validate_json(text).questions,
                              workspace_id=workspace_id, initiative_id=initiative_id, json=True)

    def _complete(self, instructions: Prompt, content: str, parse: Callable[[str], T], *,
                  workspace_id: int | None, initiative_id: int | None, json: bool) -> T:
        """Send redacted content, retrying passing failures within the budget; parse, or AIUnavailable."""
        call = ModelCall(workspace_id=workspace_id, initiative_id=initiative_id, purpose=instructions.name,
                         prompt_version=instructions.version, model=self.model, outcome="error")
        started = time.monotonic()
        try:
            response = self._send(instructions, redact(content), json=json, started=started)
            call.tokens_in = getattr(response.usage, "prompt_tokens", 0) or 0
            call.tokens_out = getattr(response.usage, "completion_tokens", 0) or 0
            message = response.choices[0].message
            if getattr(message, "refusal", None):
                call.outcome = "refused"
                raise AIUnavailable("The model declined to read this.")
            try:
                result = parse(message.content or "")
            except (ValidationError, ValueError):
                call.outcome = "malformed"
                raise AIUnavailable("The model's answer was not usable.") from None
            call.outcome = "ok"
            return result
        except openai.OpenAIError as error:
            call.outcome = "unavailable" if _transient(error) else "error"
            logger.warning("Model call %s failed: %s", instructions.name, type(error).__name__)
            raise AIUnavailable("The model did not answer in time." if _transient(error)
                                else "The model refused the request.") from None
        finally:
            call.latency_ms = int((time.monotonic() - started) * 1000)
            with session_scope(self.engine, now=self.clock.now()) as session:
                session.add(call)

    def _send(self, instructions: Prompt, content: str, *, json: bool, started: float):
        retrying = Retrying(stop=stop_after_delay(self.budget), wait=_wait, retry=retry_if_exception(_transient),
                            reraise=True)
        for attempt in retrying:
            with attempt:
                remaining = max(self.budget - (time.monotonic() - started), 0.5)
                return self.client.chat.completions.create(
                    model=self.model, timeout=remaining,
                    messages=[{"role": "system", "content": instructions.text}, {"role": "user", "content": content}],
                    **({"response_format": {"type": "json_object"}} if json else {}),
                )
        raise AIUnavailable("The model did not answer in time.")
