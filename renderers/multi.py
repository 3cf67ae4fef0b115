"""NTCIP 1203 MULTI generated from a message for a sign profile.

Each line is kept whole when it fits; when it does not, words are abbreviated (French table) and only then is the
line wrapped; pages follow the sign's lines; a pictogram goes at the left of full-matrix pages. The result is
rendered before it is returned, so what this module hands out is MULTI the sign accepts. What cannot fit raises
``DoesNotFit`` with the reason, in words an operator can act on.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from renderers.fonts import BitmapFont, load_font
from renderers.multi_render import render_multi
from renderers.multi_syntax import escape
from renderers.pictograms import PICTOGRAMS, pictogram_by_name
from signage.model import Profile, ProfileKind
from signage.sign_text import FRENCH, abbreviate_word

__all__ = ["DoesNotFit", "LedText", "compose_multi", "compose_single", "escape", "fit_pages", "sign_text"]

PICTOGRAM_GAP = 2  # dark columns between a pictogram and the text beside it
# Typography the sign fonts do not have, written as signs write it.
SUBSTITUTES = {"\u202f": "\u00a0", "\u2009": " ", "’": "'", "‘": "'", "“": '"', "”": '"', "«": '"',
               "»": '"', "–": "-", "—": "-", "…": "..."}
# A no-break space keeps "1 200" on one line; signs without one show a plain space.
NO_BREAK = "\u00a0"


class DoesNotFit(ValueError):
    """A message that the sign cannot show; ``str()`` says why, ``code`` and ``details`` say it for a page to word
    in its own language (``word_too_wide``: word, width, unit, room; ``too_many_pages``: needed, most;
    ``refused``: the sign refuses the MULTI)."""

    def __init__(self, message: str, code: str = "refused", **details: str | int) -> None:
        super().__init__(message)
        self.code = code
        self.details = details


@dataclass(frozen=True, slots=True)
class LedText:
    """What one message says on a LED sign: its lines, and a pictogram name for pixel panels; or a MULTI
    ``pattern`` written by staff, used as it is where the sign accepts it."""

    lines: tuple[str, ...]
    pictogram: str = ""
    pattern: str = ""

    def plain(self) -> LedText:
        """The same message from its lines alone."""
        return LedText(self.lines, self.pictogram)


@dataclass(frozen=True, slots=True)
class _Page:
    lines: tuple[str, ...]
    pictogram: int | None


def sign_text(text: str, font: BitmapFont) -> str:
    """``text`` in characters the font has: typographic spaces and quotes as plain ones, accents dropped only when
    the font lacks the accented letter, anything else as ``?`` (which validation would otherwise refuse)."""
    out = []
    for char in text:
        if font.glyph(char) is not None:
            out.append(char)
            continue
        substitute = SUBSTITUTES.get(char)
        if substitute is not None and not all(font.glyph(c) for c in substitute):
            substitute = " " if substitute == NO_BREAK else None
        if substitute is None:
            base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
            substitute = base if base and all(font.glyph(c) for c in base) else "?"
        out.append(substitute)
    return "".join(out)


class _Fitter:
    def __init__(self, profile: Profile, abbreviations: dict[str, str]) -> None:
        self.profile = profile
        self.font = load_font(profile.font)
        self.abbreviations = abbreviations
        if profile.kind is ProfileKind.FULL:
            pitch = self.font.height + self.font.line_spacing
            self.lines_per_page = max(1, (profile.height_px + self.font.line_spacing) // pitch)
        else:
            self.lines_per_page = profile.lines

    def width(self, text: str) -> int:
        if self.profile.kind is ProfileKind.CHARACTER:
            return len(text)
        return self.font.text_width(text)

    def room(self, pictogram: int | None) -> int:
        if self.profile.kind is ProfileKind.CHARACTER:
            return self.profile.chars_per_line
        if pictogram is None:
            return self.profile.width_px
        return self.profile.width_px - PICTOGRAMS[pictogram].width - PICTOGRAM_GAP

    def unit(self) -> str:
        return "characters" if self.profile.kind is ProfileKind.CHARACTER else "pixels"

    def abbreviated(self, line: str, room: int) -> str:
        """Abbreviate the longest words first until the line fits, or nothing is left to abbreviate."""
        words = line.split(" ")
        order = sorted(range(len(words)), key=lambda i: -len(words[i]))
        for i in order:
            if self.width(" ".join(words)) <= room:
                break
            short = abbreviate_word(words[i], self.abbreviations)
            if short is not None:
                words[i] = short
        return " ".join(words)

    def fit_line(self, line: str, room: int) -> list[str]:
        if self.width(line) <= room:
            return [line]
        short = self.abbreviated(line, room)
        if self.width(short) <= room:
            return [short]
        pieces: list[str] = []
        current = ""
        for word in line.split():
            if self.width(word) > room:
                word = self.abbreviated(word, room)
                if self.width(word) > room:
                    raise DoesNotFit(f"the word {word!r} is {self.width(word)} {self.unit()} wide; a line of "
                                     f"{self.profile.name} holds {room}", "word_too_wide", word=word,
                                     width=self.width(word), unit=self.unit(), room=room)
            candidate = f"{current} {word}" if current else word
            if self.width(candidate) <= room:
                current = candidate
            else:
                pieces.append(current)
                current = word
        if current:
            pieces.append(current)
        return pieces

    def pages(self, text: LedText) -> list[_Page]:
        picture = pictogram_by_name(text.pictogram) if text.pictogram else None
        number = picture.number if picture and self.profile.kind is ProfileKind.FULL else None
        room = self.room(number)
        lines = [piece for line in text.lines for piece in self.fit_line(sign_text(line, self.font), room)]
        n = self.lines_per_page
        return [_Page(tuple(lines[i : i + n]), number) for i in range(0, len(lines), n)] or [_Page((), number)]


def fit_pages(text: LedText, profile: Profile, abbreviations: dict[str, str] = FRENCH) -> int:
    """How many pages ``text`` takes on ``profile``; raises ``DoesNotFit``."""
    if text.pattern:
        return _pattern_pages(text.pattern, profile)
    return len(_Fitter(profile, abbreviations).pages(text))


def _pattern_pages(pattern: str, profile: Profile) -> int:
    """Pages of a staff-written pattern on ``profile``, or ``DoesNotFit`` with what the sign would refuse."""
    if profile.kind is ProfileKind.FULL:
        raise DoesNotFit(f"a MULTI pattern is for text signs; {profile.name} shows the pixel variant")
    result = render_multi(pattern, profile, draw=False)
    if not result.valid:
        raise DoesNotFit("; ".join(f"{e.kind.standard_name}: {e.message}" for e in result.errors))
    return len(result.pages)


def compose_multi(texts: Sequence[LedText], profile: Profile, abbreviations: dict[str, str] = FRENCH) -> str:
    """MULTI for ``texts`` shown in turn on a sign of ``profile``; each message starts on a new page."""
    fitter = _Fitter(profile, abbreviations)
    parts: list[str] = []
    count = 0
    for text in texts:
        if text.pattern:
            count += _pattern_pages(text.pattern, profile)
            parts.append(text.pattern)
            continue
        pages = fitter.pages(text)
        count += len(pages)
        parts.extend(_page_multi(page, fitter) for page in pages)
    if count > profile.max_pages:
        raise DoesNotFit(f"the message needs {count} pages; {profile.name} shows at most {profile.max_pages}",
                         "too_many_pages", needed=count, most=profile.max_pages)
    prefix = f"[pt{round(profile.page_time_s * 10)}o0]" if count > 1 else ""
    if any(text.pattern for text in texts):  # staff's MULTI may set what the pages after it inherit
        problem = _refusal(prefix + "[np]".join(parts), profile)
    else:
        # Each page this module writes starts from the sign's defaults and changes nothing a later page inherits
        # (font, colours, page justification, spacing), so checking it alone is checking it in place, and a page
        # seen before on this profile is known good: a panel's pages change one message at a time.
        checked = [prefix + parts[0], *parts[1:]] if parts else [prefix]
        problem = next(filter(None, (_refusal(page, profile) for page in checked)), None)
    if problem is not None:  # a bug of ours rather than of the message; never send what the sign would refuse
        raise DoesNotFit(problem)
    return prefix + "[np]".join(parts)


@functools.lru_cache(maxsize=4096)
def _refusal(multi: str, profile: Profile) -> str | None:
    """Why the sign would refuse ``multi``, or None."""
    result = render_multi(multi, profile, draw=False)
    return None if result.valid else "; ".join(f"{e.kind.standard_name}: {e.message}" for e in result.errors)


def compose_single(text: LedText, profile: Profile, abbreviations: dict[str, str] = FRENCH) -> tuple[str, str]:
    """MULTI for one message, and why its pattern was refused ("" when it was not): a pattern the sign refuses
    gives way to the message's lines, as on the street. ``DoesNotFit`` when even the lines do not fit."""
    try:
        return compose_multi([text], profile, abbreviations), ""
    except DoesNotFit as exc:
        if not text.pattern:
            raise
        refused = str(exc)
    try:
        return compose_multi([text.plain()], profile, abbreviations), refused
    except DoesNotFit as exc:
        raise DoesNotFit(f"{refused}; from its lines: {exc}", exc.code, **exc.details) from exc


def _page_multi(page: _Page, fitter: _Fitter) -> str:
    text = "[nl]".join(escape(line) for line in page.lines)
    profile = fitter.profile
    if page.pictogram is None:
        return f"[jl3]{text}"
    picture = PICTOGRAMS[page.pictogram]
    y = (profile.height_px - picture.height) // 2 + 1
    left = picture.width + PICTOGRAM_GAP + 1
    block = len(page.lines) * fitter.font.height + (len(page.lines) - 1) * fitter.font.line_spacing
    top = max(1, (profile.height_px - block) // 2 + 1)
    return (f"[g{page.pictogram},1,{y}][tr{left},{top},{profile.width_px - left + 1},0]"
            f"[jl3]{text}")
