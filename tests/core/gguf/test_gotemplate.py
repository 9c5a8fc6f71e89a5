"""The test-side Go template renderer trims and branches as Go's text/template does."""

import pytest

from tests.core.gguf.gotemplate import render


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{23 -}} < {{- 45}}", "23<45"),  # the example in Go's text/template documentation
        ("a \n\t{{- .X -}}\r\n b", "aXb"),  # every adjacent space, tab and line break goes
        ("a \n{{ .X }}\n b", "a \nX\n b"),  # without dashes nothing is trimmed
        ("a {{-3}} b", "a -3 b"),  # a dash not set off by a space is a minus sign
        ("{{ .X -}}  {{- .X }}", "XX"),  # text between two trims can vanish entirely
    ],
)
def test_trimming(template, expected):
    assert render(template, {"X": "X"}) == expected


def test_branches_loops_and_functions():
    template = (
        '{{- range $i, $m := .Items }}{{ if eq $m "a" }}A{{ else if ne $i 1 }}.'
        "{{ else }}{{ len (slice $.Items $i) }}{{ end }}{{ end }}"
        "{{ if not .Items }}never{{ end }}"
    )
    assert render(template, {"Items": ["a", "b", "c"]}) == "A2."


def test_unsupported_syntax_raises():
    with pytest.raises(SyntaxError):
        render("{{ printf .X }}", {"X": "x"})
    with pytest.raises(SyntaxError):
        render("{{ if .X }}x", {"X": "x"})
