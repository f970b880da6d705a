"""Front ends: the `estate` command line (app/cli.py); the Streamlit app arrives with its issue."""
