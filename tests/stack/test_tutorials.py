"""The tutorials (docs/tutorial.en.md, docs/tutorial.ru.md) name only what exists, and say the same.

Every command of a `sh` block and every `make ...` of the prose must name a target of the Makefile, every
management command one Django knows with the admin's settings, every `dotenv` line a setting of
.env.example, every FileAPI path one of FileAPI's OpenAPI document, every picture a file of
docs/screenshots/; and both languages show the same commands in the same order. A failure names the
tutorial and the line.
"""

from __future__ import annotations

import re
import secrets
import shlex
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from dotenv import dotenv_values

from devstack.settings import ENV_EXAMPLE, REPO_ROOT

DOCS = REPO_ROOT / "docs"
TUTORIALS = {"en": DOCS / "tutorial.en.md", "ru": DOCS / "tutorial.ru.md"}
MAKEFILE = REPO_ROOT / "Makefile"

# What a fenced block may hold: commands (checked), settings (checked), and what needs no check (output,
# code excerpts).
COMMANDS, SETTINGS = "sh", "dotenv"
LANGUAGES = {COMMANDS, SETTINGS, "text", "python"}
# The programs a tutorial's command may start with (or a shell variable assignment, `NAME=...`): a line
# starting with anything else is output pasted into a command block, or a prompt.
PROGRAMS = {"make", "curl", "head", "ls", "sha256sum", "kill", ".venv/bin/python", ".venv/bin/pytest"}
# Make targets that run the admin's manage.py with ARGS.
MANAGE_TARGETS = {"dev-manage", "manage"}
# What the prose writes for "any arguments": `make dev-manage ARGS="…"`.
PLACEHOLDERS = {"…", "..."}
SHELL_SEPARATORS = {"&&", "||", "|", ";"}

FENCE = re.compile(r"^```(.*)$")
INLINE_CODE = re.compile(r"`([^`]+)`")
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")
MANAGE_PY = re.compile(r"manage\.py\s+([A-Za-z_][A-Za-z0-9_]*)")
MAKE_VARIABLE = re.compile(r"^([A-Z_][A-Z0-9_]*)=(.*)$", re.DOTALL)
DOTENV_LINE = re.compile(r"^([A-Z][A-Z0-9_]*)=(.*)$")
FILE_API_PATH = re.compile(r"/api/[^\s`\"'()<>\[\]|,;«»]*")
SECTION = re.compile(r"^## (\d+)\. ")


@dataclass(frozen=True)
class Line:
    """One line of a tutorial, with where it is, for failure messages."""

    tutorial: str
    number: int
    text: str

    def __str__(self) -> str:
        return f"{self.tutorial}:{self.number}: {self.text.strip()}"


@dataclass(frozen=True)
class Block:
    """A fenced block: its language and its lines (without the fences)."""

    language: str
    opening: Line
    lines: tuple[Line, ...]

    @property
    def content(self) -> tuple[str, ...]:
        return tuple(line.text for line in self.lines)


@dataclass(frozen=True)
class Tutorial:
    name: str
    blocks: tuple[Block, ...]
    prose: tuple[Line, ...]  # every line outside the fenced blocks
    unclosed: Line | None  # the opening of a fence never closed (its block runs to the end)

    @property
    def lines(self) -> Iterator[Line]:
        yield from self.prose
        for block in self.blocks:
            yield from block.lines

    def blocks_in(self, *languages: str) -> list[Block]:
        return [block for block in self.blocks if block.language in languages]

    def inline_code(self) -> Iterator[tuple[Line, str]]:
        """Every `code span` of the prose, with the line it starts on (a span may go on to the next line)."""
        for paragraph in self.paragraphs():
            text = "\n".join(line.text for line in paragraph)
            for span in INLINE_CODE.finditer(text):
                yield paragraph[text.count("\n", 0, span.start())], " ".join(span.group(1).split())

    def paragraphs(self) -> Iterator[list[Line]]:
        """The prose's runs of adjacent non-blank lines."""
        paragraph: list[Line] = []
        for line in self.prose:
            if paragraph and (not line.text.strip() or line.number != paragraph[-1].number + 1):
                yield paragraph
                paragraph = []
            if line.text.strip():
                paragraph.append(line)
        if paragraph:
            yield paragraph


@cache
def tutorial(path: Path) -> Tutorial:
    """The tutorial's fenced blocks and prose."""
    blocks, prose = [], []
    opening: Line | None = None
    language = ""
    content: list[Line] = []
    for number, text in enumerate(path.read_text().splitlines(), start=1):
        line = Line(path.name, number, text)
        fence = FENCE.match(text)
        if opening is None and fence:
            opening, language, content = line, fence.group(1).strip(), []
        elif opening is not None and text == "```":
            blocks.append(Block(language, opening, tuple(content)))
            opening = None
        elif opening is not None:
            content.append(line)
        else:
            prose.append(line)
    if opening is not None:
        blocks.append(Block(language, opening, tuple(content)))
    return Tutorial(path.name, tuple(blocks), tuple(prose), unclosed=opening)


def tutorials() -> list[Tutorial]:
    return [tutorial(path) for path in TUTORIALS.values()]


each_tutorial = pytest.mark.parametrize("path", TUTORIALS.values(), ids=lambda path: path.name)


def commands(document: Tutorial) -> Iterator[tuple[Line, str]]:
    """Every shell command: each line of a `sh` block, and each inline `make ...` of the prose."""
    for block in document.blocks_in(COMMANDS):
        for line in block.lines:
            yield line, line.text
    for line, span in document.inline_code():
        if span.split()[:1] == ["make"]:
            yield line, span


@dataclass(frozen=True)
class MakeCall:
    targets: tuple[str, ...]
    variables: tuple[tuple[str, str], ...]


def make_calls(command: str) -> list[MakeCall]:
    """The `make` invocations of a shell command, also inside `$(...)` and after `&&`; none in a command
    that is not one (an unclosed quote: test_every_line_of_a_sh_block_is_one_complete_command says so)."""
    try:
        words = shlex.split(command)
    except ValueError:
        return []
    calls = []
    for start, word in enumerate(words):
        if word != "make" and not word.endswith("$(make"):
            continue
        targets, variables = [], []
        for argument in words[start + 1 :]:
            if argument in SHELL_SEPARATORS:
                break
            if argument.startswith("-"):
                continue
            if assignment := MAKE_VARIABLE.match(argument):
                variables.append((assignment.group(1), assignment.group(2)))
            else:
                targets.append(argument.removesuffix(")"))
        calls.append(MakeCall(tuple(targets), tuple(variables)))
    return calls


def make_calls_of(document: Tutorial) -> Iterator[tuple[Line, MakeCall]]:
    """Every `make` invocation of the tutorial's commands, with its line."""
    for line, command in commands(document):
        for call in make_calls(command):
            yield line, call


def management_commands_named(command: str) -> list[str]:
    """The manage.py commands a shell command runs: `manage.py NAME`, `make (dev-)manage ARGS="NAME ..."`."""
    names = MANAGE_PY.findall(command)
    for call in make_calls(command):
        if not MANAGE_TARGETS & set(call.targets):
            continue
        for variable, value in call.variables:
            if variable == "ARGS" and value.strip() and value.strip() not in PLACEHOLDERS:
                names.append(shlex.split(value)[0])
    return names


@cache
def makefile_targets() -> frozenset[str]:
    return frozenset(re.findall(r"^([A-Za-z0-9_./-]+):(?!=)", MAKEFILE.read_text(), re.MULTILINE))


@cache
def makefile_variables() -> frozenset[str]:
    """The variables the Makefile reads, `$(NAME)`: what a `make X NAME=value` can change."""
    return frozenset(re.findall(r"\$\(([A-Z_][A-Z0-9_]*)\)", MAKEFILE.read_text()))


@cache
def django_commands() -> frozenset[str]:
    """The management commands of the admin: Django's, its installed apps' and the repository's own."""
    import django
    from django.apps import apps
    from django.core.management import get_commands

    # pytest-django has set the admin's test settings up already (DJANGO_SETTINGS_MODULE in pyproject.toml).
    if not apps.ready:
        django.setup()
    return frozenset(get_commands())


@cache
def file_api_documents() -> tuple[frozenset[str], frozenset[str]]:
    """FileAPI's OpenAPI paths (`/api/v1/...`, templates) and the paths of its other routes (the docs, the
    schema), from the application itself: create_app() builds the routes without touching Postgres or S3."""
    from file_api.config import Settings
    from file_api.main import create_app

    settings = Settings(
        app_env="production",
        file_api_token=secrets.token_hex(32),
        file_api_url_signing_key=secrets.token_hex(32),
        file_api_db_user="file_api",
        file_api_db_password=secrets.token_hex(32),
        s3_endpoint_url="http://127.0.0.1:9",  # nothing listens: create_app() makes no request
        file_api_s3_access_key="file-api",
        file_api_s3_secret_key=secrets.token_hex(32),
    )
    app = create_app(settings)
    # The routes outside the OpenAPI document: the schema, Swagger UI and its files (fastapi-offline's).
    pages = {path for route in app.routes if (path := getattr(route, "path", None))}
    return frozenset(app.openapi()["paths"]), frozenset(pages)


def path_template_pattern(template: str) -> re.Pattern[str]:
    """`/api/v1/files/{short_name}` → a pattern any one segment fills (`{short_name}`, `Q7dW…`)."""
    parts = re.split(r"\{[^}/]+\}", template)
    return re.compile("[^/]+".join(re.escape(part) for part in parts))


def file_api_paths(document: Tutorial) -> Iterator[tuple[Line, str]]:
    """Every `/api/...` path of the tutorial, prose and blocks alike, without its query."""
    for line in document.lines:
        for found in FILE_API_PATH.findall(line.text):
            path = re.split(r"[?#]", found)[0].rstrip(".:!*")
            yield line, path


def report(problems: list[str]) -> str:
    return "\n".join(problems)


# --- Both languages show the same commands and settings ---


def test_both_tutorials_show_the_same_commands_and_settings_in_the_same_order() -> None:
    english, russian = tutorials()
    english_blocks = english.blocks_in(COMMANDS, SETTINGS)
    russian_blocks = russian.blocks_in(COMMANDS, SETTINGS)
    problems = [
        f"{ours.opening} and {theirs.opening} differ:\n  {ours.content}\n  {theirs.content}"
        for ours, theirs in zip(english_blocks, russian_blocks, strict=False)
        if (ours.language, ours.content) != (theirs.language, theirs.content)
    ]
    if len(english_blocks) != len(russian_blocks):
        longer = max(english_blocks, russian_blocks, key=len)
        extra = longer[min(len(english_blocks), len(russian_blocks))]
        problems.append(
            f"{english.name} has {len(english_blocks)} sh/dotenv blocks, {russian.name} "
            f"{len(russian_blocks)}; the first without a counterpart: {extra.opening}"
        )
    assert not problems, report(problems[:1])


def test_both_tutorials_have_the_same_sections_and_pictures_in_the_same_order() -> None:
    def outline(document: Tutorial) -> list[tuple[str, Line]]:
        """`section 3`, `picture screenshots/x.png`, ... in the order they come."""
        items = []
        for line in document.prose:
            if section := SECTION.match(line.text):
                items.append((f"section {section.group(1)}", line))
            items += [(f"picture {target}", line) for target in IMAGE.findall(line.text)]
        return items

    english, russian = (outline(document) for document in tutorials())
    mismatches = [
        f"{ours_line} and {theirs_line}: {ours} here, {theirs} there"
        for (ours, ours_line), (theirs, theirs_line) in zip(english, russian, strict=False)
        if ours != theirs
    ]
    if not mismatches and len(english) != len(russian):
        extra, extra_line = max(english, russian, key=len)[min(len(english), len(russian))]
        mismatches.append(f"{extra_line}: {extra} has no counterpart in the other tutorial")
    assert not mismatches, report(mismatches[:1])


@pytest.mark.parametrize(
    ("path", "other"),
    [(TUTORIALS["en"], "ru"), (TUTORIALS["ru"], "en")],
    ids=["en links to ru", "ru links to en"],
)
def test_each_tutorial_links_to_the_other_at_the_top(path: Path, other: str) -> None:
    top = [line for line in tutorial(path).prose if line.number <= 5]

    assert any(f"](tutorial.{other}.md)" in line.text for line in top), (
        f"{path.name}: no link to tutorial.{other}.md in its first lines"
    )


# --- What the blocks hold ---


@each_tutorial
def test_every_fenced_block_is_closed_and_names_a_known_language(path: Path) -> None:
    document = tutorial(path)

    problems = [
        f"{block.opening}: language {block.language!r}, not one of {sorted(LANGUAGES)}"
        for block in document.blocks
        if block.language not in LANGUAGES
    ]
    if document.unclosed is not None:
        problems.append(f"{document.unclosed}: this fence is never closed")
    assert not problems, report(problems)


@each_tutorial
def test_every_line_of_a_sh_block_is_one_complete_command(path: Path) -> None:
    problems = []
    for block in tutorial(path).blocks_in(COMMANDS):
        for line in block.lines:
            try:
                words = shlex.split(line.text)
            except ValueError as exc:  # an unclosed quote
                problems.append(f"{line}: not one shell command ({exc})")
                continue
            if not words:
                problems.append(f"{line}: an empty line in a command block")
            elif words[0] not in PROGRAMS and not re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
                problems.append(
                    f"{line}: starts with {words[0]!r}, not a command of {sorted(PROGRAMS)}: "
                    "output belongs in a `text` block"
                )
    assert not problems, report(problems)


# --- Everything named exists ---


def unknown_make_names(
    path: Path, names: Callable[[MakeCall], Iterable[str]], known: frozenset[str], problem: str
) -> list[str]:
    """A `problem` (formatted with the name) for each name of the tutorial's make calls not `known`."""
    return [
        f"{line}: {problem.format(name=name)}"
        for line, call in make_calls_of(tutorial(path))
        for name in names(call)
        if name not in known
    ]


@each_tutorial
def test_every_make_target_is_a_target_of_the_makefile(path: Path) -> None:
    problems = unknown_make_names(
        path, lambda call: call.targets, makefile_targets(), "`make {name}`: no such target in the Makefile"
    )
    assert not problems, report(problems)


@each_tutorial
def test_every_variable_given_to_make_is_one_the_makefile_reads(path: Path) -> None:
    problems = unknown_make_names(
        path,
        lambda call: [variable for variable, _value in call.variables],
        makefile_variables(),
        "`{name}=`: the Makefile never reads $({name})",
    )
    assert not problems, report(problems)


@each_tutorial
def test_every_management_command_exists(path: Path) -> None:
    document = tutorial(path)
    named = [
        (line, name) for line, command in commands(document) for name in management_commands_named(command)
    ]
    named += [(line, name) for line, span in document.inline_code() for name in MANAGE_PY.findall(span)]

    problems = [
        f"{line}: `{name}` is no management command of the admin"
        for line, name in named
        if name not in django_commands()
    ]
    assert not problems, report(problems)


@each_tutorial
def test_every_setting_of_a_dotenv_block_is_a_setting_of_env_example(path: Path) -> None:
    settings = dotenv_values(ENV_EXAMPLE)
    problems = []
    for block in tutorial(path).blocks_in(SETTINGS):
        for line in block.lines:
            setting = DOTENV_LINE.match(line.text)
            if setting is None:
                problems.append(f"{line}: not a NAME=value line")
            elif setting.group(1) not in settings:
                problems.append(f"{line}: {setting.group(1)} is not set in .env.example")
    assert not problems, report(problems)


@each_tutorial
def test_every_storage_backend_a_dotenv_block_selects_exists(path: Path) -> None:
    from file_storage.config import BACKENDS

    problems = [
        f"{line}: FILE_STORAGE_BACKEND must be one of {', '.join(BACKENDS)}"
        for block in tutorial(path).blocks_in(SETTINGS)
        for line in block.lines
        if (setting := DOTENV_LINE.match(line.text))
        and setting.group(1) == "FILE_STORAGE_BACKEND"
        and setting.group(2) not in BACKENDS
    ]
    assert not problems, report(problems)


@each_tutorial
def test_every_file_api_v1_path_is_in_file_apis_openapi_document(path: Path) -> None:
    openapi_paths, _pages = file_api_documents()
    patterns = [path_template_pattern(template) for template in openapi_paths]

    problems = [
        f"{line}: {found} matches no path of FileAPI's OpenAPI document"
        for line, found in file_api_paths(tutorial(path))
        if found.startswith("/api/v1/") and not any(pattern.fullmatch(found) for pattern in patterns)
    ]
    assert not problems, report(problems)


@each_tutorial
def test_every_other_file_api_path_is_a_route_of_file_api(path: Path) -> None:
    _openapi_paths, pages = file_api_documents()

    problems = [
        f"{line}: {found} is none of FileAPI's other routes {sorted(pages)}"
        for line, found in file_api_paths(tutorial(path))
        if not found.startswith("/api/v1/") and found not in pages
    ]
    assert not problems, report(problems)


@each_tutorial
def test_every_picture_is_a_file_of_docs_screenshots(path: Path) -> None:
    problems = [
        f"{line}: {target} is not a file of docs/screenshots/"
        for line in tutorial(path).prose
        for target in IMAGE.findall(line.text)
        if not target.startswith("screenshots/") or not (DOCS / target).is_file()
    ]
    assert not problems, report(problems)
