"""Calling the model: versioned prompts from prompts/ai/, redaction before sending, retries within a time
budget, validated structured output, and a record of every call (prompt version, tokens, latency, outcome)."""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from enum import StrEnum
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
M = TypeVar("M", bound=BaseModel)


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


class Structured(StrEnum):
    """How the model is asked for a shape: a strict JSON schema, JSON mode, or the schema until refused."""

    AUTO = "auto"
    JSON_SCHEMA = "json_schema"
    JSON_OBJECT = "json_object"


class Unusable(Exception):
    """The model answered, but not in the shape asked for (cut off, or wrong fields): worth one more try."""

    def __init__(self, outcome: str) -> None:
        super().__init__(outcome)
        self.outcome = outcome


class Assistant:
    """One model, one time budget per call, every call recorded."""

    def __init__(self, *, api_key: str, base_url: str | None, model: str, budget_seconds: float,
                 engine: Engine, clock: Clock, structured: Structured = Structured.AUTO) -> None:
        self.model = model
        self.budget = budget_seconds
        self.engine = engine
        self.clock = clock
        self.structured = structured
        self.schemas_refused = False  # with AUTO: the server refused a schema once, so JSON mode from then on
        self.client = openai.OpenAI(api_key=api_key, base_url=base_url or None, max_retries=0,
                                    timeout=budget_seconds)

    def assess(self, question: str, met_looks_like: str, reply: str, *, workspace_id: int | None,
               initiative_id: int | None) -> Assessment:
        content = f"Question: {question}\nWhat met looks like: {met_looks_like}\nThe reply:\n{reply}"
        return self._complete(prompt("assess_answer"), content, Assessment,
                              workspace_id=workspace_id, initiative_id=initiative_id)

    def executive_summary(self, review_text: str, *, workspace_id: int | None, initiative_id: int | None) -> str:
        return self._complete(prompt("executive_summary"), review_text, None,
                              workspace_id=workspace_id, initiative_id=initiative_id)

    def preread(self, request_text: str, *, workspace_id: int | None, initiative_id: int | None) -> list[str]:
        return self._complete(prompt("approver_preread"), request_text, Preread,
                              workspace_id=workspace_id, initiative_id=initiative_id).questions

    def _complete(self, instructions: Prompt, content: str, shape: type[M] | None, *,
                  workspace_id: int | None, initiative_id: int | None) -> M | str:
        """Send redacted content, retrying passing failures within the budget and an unusable answer once;
        the answer in its shape (or as a paragraph), or AIUnavailable."""
        call = ModelCall(workspace_id=workspace_id, initiative_id=initiative_id, purpose=instructions.name,
                         prompt_version=instructions.version, model=self.model, outcome="error")
        started = time.monotonic()
        try:
            for attempt in range(2):
                try:
                    return self._answer(instructions, redact(content), shape, call, started=started)
                except Unusable as unusable:
                    call.outcome = unusable.outcome
                    logger.info("Model call %s: %s answer (try %d of 2)", instructions.name, unusable.outcome,
                                attempt + 1)
            raise AIUnavailable("The model's answer was not usable twice; over to a human.")
        except openai.OpenAIError as error:
            call.outcome = "unavailable" if _transient(error) else "error"
            logger.warning("Model call %s failed: %s", instructions.name, type(error).__name__)
            raise AIUnavailable("The model did not answer in time." if _transient(error)
                                else "The model refused the request.") from None
        finally:
            call.latency_ms = int((time.monotonic() - started) * 1000)
            with session_scope(self.engine, now=self.clock.now()) as session:
                session.add(call)

    def _answer(self, instructions: Prompt, content: str, shape: type[M] | None, call: ModelCall, *,
                started: float) -> M | str:
        """One answer read in its shape; Unusable when cut off or of the wrong shape."""
        raw = self._send(instructions, content, shape, started=started)
        usage = raw.http_response.json().get("usage") or {}  # counted even when the answer is unusable
        call.tokens_in += usage.get("prompt_tokens") or 0
        call.tokens_out += usage.get("completion_tokens") or 0
        try:
            response = raw.parse()
        except openai.LengthFinishReasonError:
            raise Unusable("cut_off") from None
        except ValidationError:
            raise Unusable("malformed") from None
        choice = response.choices[0]
        if getattr(choice.message, "refusal", None):
            call.outcome = "refused"
            raise AIUnavailable("The model declined to read this.")
        if choice.finish_reason == "length":
            raise Unusable("cut_off")
        parsed = getattr(choice.message, "parsed", None)
        try:
            if parsed is None:
                text = choice.message.content or ""
                parsed = shape.model_validate_json(text) if shape else Summary(paragraph=text.strip()).paragraph
        except (ValidationError, ValueError):
            raise Unusable("malformed") from None
        call.outcome = "ok"
        return parsed

    def _send(self, instructions: Prompt, content: str, shape: type[BaseModel] | None, *, started: float):
        """The model's raw response, retried on passing failures within the budget. A shape is asked for as a
        strict schema (Structured Outputs), or in JSON mode where the server refuses schemas."""
        retrying = Retrying(stop=stop_after_delay(self.budget), wait=_wait, retry=retry_if_exception(_transient),
                            reraise=True)
        messages = [{"role": "system", "content": instructions.text}, {"role": "user", "content": content}]
        completions = self.client.chat.completions.with_raw_response
        for attempt in retrying:
            with attempt:
                ask = dict(model=self.model, messages=messages,
                           timeout=max(self.budget - (time.monotonic() - started), 0.5))
                if shape is None:
                    return completions.create(**ask)
                if self._use_schema():
                    try:
                        return completions.parse(**ask, response_format=shape)
                    except openai.BadRequestError as refused:
                        if self.structured is not Structured.AUTO or not _about_response_format(refused):
                            raise
                        logger.warning("The model server refuses JSON schemas (%s); using JSON mode from now on",
                                       refused.message)
                        self.schemas_refused = True
                return completions.create(**ask, response_format={"type": "json_object"})
        raise AIUnavailable("The model did not answer in time.")

    def _use_schema(self) -> bool:
        return self.structured is Structured.JSON_SCHEMA or (
            self.structured is Structured.AUTO and not self.schemas_refused)


def _about_response_format(error: openai.BadRequestError) -> bool:
    body = error.body if isinstance(error.body, dict) else {}
    return body.get("param") == "response_format" or "response_format" in str(error.message)
