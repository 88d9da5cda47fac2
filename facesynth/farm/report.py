"""What a render run did: the summary line, the `--progress json` summary and the exit status."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class RunReport:
    selected: int = 0
    already_done: int = 0
    rendered: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    retried: dict[int, int] = field(default_factory=dict)
    """Samples whose worker crashed, with how many crashed attempts they took."""
    interrupted: bool = False
    seconds: float = 0.0
    broken: int = 0
    """Finished samples found damaged (sha256) and rendered again."""

    def as_dict(self) -> dict[str, Any]:
        """The `--progress json` summary line."""
        d = asdict(self)
        d["rendered"] = len(self.rendered)
        d["failed"] = {str(k): v for k, v in sorted(self.failed.items())}
        d["retried"] = {str(k): v for k, v in sorted(self.retried.items())}
        d["seconds"] = round(self.seconds, 3)
        return d

    def summary(self) -> str:
        rate = len(self.rendered) / self.seconds if self.seconds > 0 and self.rendered else 0.0
        parts = [f"{len(self.rendered)} rendered", f"{self.already_done} already done"]
        if self.failed:
            parts.append(f"{len(self.failed)} failed")
        if self.broken:
            parts.append(f"{self.broken} broken re-rendered")
        text = f"{', '.join(parts)} of {self.selected} selected in {self.seconds:.1f} s ({rate:.2f} samples/s)"
        return text + (" - interrupted: run the same command again to resume" if self.interrupted else "")
