"""Gradio entry: `python app.py` serves the app and the REST API in one process."""

from assistant.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["serve"]))
