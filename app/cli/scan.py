"""`keyfob scan`: the text of every QR code in image files. Needs no vault."""

from __future__ import annotations

from pathlib import Path

from app.cli.errors import CliError
from app.cli.output import note, print_json, printable
from app.qr.decode import decode_image_file


def cmd_scan(images: list[str], as_json: bool) -> int:
    found: list[dict[str, str]] = []
    for image in images:
        path = Path(image)
        if not path.is_file():
            raise CliError(f"no such image file: {image}")
        texts = decode_image_file(path)
        if not texts:
            note(f"no QR code found in {image}")
        found += [{"file": image, "text": text} for text in texts]
    if as_json:
        print_json(found)
    else:
        for item in found:
            # One code a line, as `keyfob add -` reads them; a QR code's text is anyone's,
            # so it reaches the terminal without control characters (--json has it exact).
            print(printable(item["text"]))
    return 0 if found else 1
