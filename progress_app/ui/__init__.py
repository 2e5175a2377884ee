"""The NiceGUI interface. Pages read live job objects on the event loop and talk to JobService only."""
