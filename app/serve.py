"""Start the Streamlit server with the app's libraries already imported, so the first page view is quick.

`estate app` runs `python -m app.serve ARGS...`, ARGS being `streamlit run`'s. Streamlit runs each
page in this process, so modules imported here are not imported again on the first visit.
"""

import sys


def main() -> int:
    """Import the libraries every page uses, then hand over to Streamlit's own command line."""
    import altair  # noqa: F401
    import pandas  # noqa: F401
    from streamlit.web import cli

    import app.ui  # noqa: F401
    import reporting.views  # noqa: F401

    sys.argv = ["streamlit", "run", *sys.argv[1:]]
    return cli.main()


if __name__ == "__main__":
    sys.exit(main())
