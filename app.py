"""Start Progress App: `python app.py [--host 127.0.0.1] [--port 8080] [--data-dir ./data] [--native] …`."""

from progress_app.app import main

if __name__ in {'__main__', '__mp_main__'}:
    main()
