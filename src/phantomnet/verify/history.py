"""Per-question history: the answers each question got before, to weigh a new one.

An answer never seen before for this question, and given by one path only, weighs more: a
forged answer is typically new and singular, a CDN's rotation is not (it was seen before, or
several paths see it). "Seen" uses the same tolerance as the vote (:func:`.compare.consistent`).
Bounded: ``max_questions`` questions (least recently asked dropped), ``per_question``
answers each.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Mapping

from phantomnet.verify.answers import Answer
from phantomnet.verify.compare import consistent
from phantomnet.verify.path import Question


class History:
    def __init__(self, max_questions: int = 10_000, per_question: int = 16) -> None:
        self.max_questions = max_questions
        self.per_question = per_question
        self._seen: OrderedDict[tuple[str, str], deque[Answer]] = OrderedDict()

    def known(self, question: Question) -> bool:
        """Whether this question was answered before (novelty means nothing otherwise)."""
        return (question.kind, question.target) in self._seen

    def seen(self, question: Question, answer: Answer) -> bool:
        past = self._seen.get((question.kind, question.target), ())
        return any(consistent(answer, old) for old in past)

    def novel(self, question: Question, answers: Mapping[str, Answer]) -> tuple[str, ...]:
        """Paths whose answer is new to this question's history and shared by no other path."""
        if not self.known(question):
            return ()
        out = []
        for name, answer in sorted(answers.items()):
            alone = not any(consistent(answer, a) for n, a in answers.items() if n != name)
            if alone and not self.seen(question, answer):
                out.append(name)
        return tuple(out)

    def record(self, question: Question, answers: Mapping[str, Answer]) -> None:
        key = (question.kind, question.target)
        past = self._seen.get(key)
        if past is None:
            past = self._seen[key] = deque(maxlen=self.per_question)
            if len(self._seen) > self.max_questions:
                self._seen.popitem(last=False)
        else:
            self._seen.move_to_end(key)
        for answer in answers.values():
            if not any(consistent(answer, old) for old in past):
                past.append(answer)
