"""Application codes (mã hồ sơ): AGENCY-YYMMDD-NNNN.

e.g. 000.30.31.H26-240915-0012 or G22.123-241015-0012: the agency identifier, the
submission date, a sequence number. Residents type them in lower case, with spaces around
the hyphens or a dot missing, inside a sentence; ``find_code`` copes with all of that and
``lookup_key`` (the code without dots) is what the registry matches on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

FORMAT_HELP = (
    "Mã hồ sơ có dạng MÃ-CƠ-QUAN-NĂMTHÁNGNGÀY-SỐ THỨ TỰ, ví dụ 000.30.31.H26-240915-0012 "
    "hoặc G22.123-241015-0012. Mã in trên giấy tiếp nhận hồ sơ (giấy hẹn trả kết quả)."
)
# Loose on purpose: spaces around hyphens, any case, dots optional inside the agency part.
_CANDIDATE = re.compile(
    # Alternatives start with different characters (alphanumeric / space or dot), so the
    # match is linear in the input: no catastrophic backtracking on long messages.
    r"(?<![A-Za-z0-9.])([A-Za-z0-9](?:[A-Za-z0-9]|\s?\.\s?(?=[A-Za-z0-9])){0,39})"
    r"\s*[-–]\s*(\d{6})\s*[-–]\s*(\d{3,6})(?![0-9])"
)


@dataclass(frozen=True)
class ApplicationCode:
    agency: str  # upper case, dots kept as typed
    submitted: date
    sequence: str

    @property
    def code(self) -> str:
        return f"{self.agency}-{self.submitted:%y%m%d}-{self.sequence}"

    @property
    def lookup_key(self) -> str:
        return lookup_key(self.code)

    @property
    def masked(self) -> str:
        """For logs and the audit trail: agency and date, sequence hidden."""
        return f"{self.agency}-{self.submitted:%y%m%d}-{'*' * len(self.sequence)}"


def lookup_key(code: str) -> str:
    """Upper case, no dots, no spaces: "000.30.31.h26 - 240915-0012" == "00030.31H26-…"."""
    return re.sub(r"[\s.]", "", code).upper().replace("–", "-")


def _date(yymmdd: str) -> date | None:
    try:
        return date(2000 + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:]))
    except ValueError:
        return None


def find_code(text: str) -> ApplicationCode | None:
    """The first valid application code in ``text``, or None."""
    for match in _CANDIDATE.finditer(text):
        agency = re.sub(r"\s", "", match.group(1)).upper()
        submitted = _date(match.group(2))
        if submitted is None or (not re.search(r"\d", agency) and len(agency) < 2):
            continue
        return ApplicationCode(agency, submitted, match.group(3))
    return None
