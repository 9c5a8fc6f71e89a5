from core.pipeline.normalize import clean_text, strip_repeated_lines


def test_clean_text_keeps_case_and_c64_symbols():
    raw = "ＬＤＡ　#$FF\x07\r\nSTA $D020\t\t;  border\r\n\r\n\r\n\r\nPOKE 53280,0\u200b"
    assert clean_text(raw) == "LDA #$FF\nSTA $D020 ; border\n\nPOKE 53280,0"


def test_repeated_headers_and_footers_are_removed_from_one_document():
    bodies = [
        "Sprites\nEnable them at $D015.",
        "Scrolling\nSet $D016 bits 0-2.",
        "Colours\nThe border is at $D020.",
        "Raster\nCompare with $D012.",
        "Banks\nSelect one at $DD00.",
    ]
    pages = [f"C64 Technical Notes - VIC-II\n{body}\nPage {n}" for n, body in enumerate(bodies)]
    cleaned, removed = strip_repeated_lines(pages)
    assert removed == 10
    assert cleaned == bodies
    # Two pages are too few to tell a running header from content.
    assert strip_repeated_lines(pages[:2]) == (pages[:2], 0)
