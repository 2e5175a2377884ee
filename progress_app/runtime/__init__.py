"""Running jobs: the live job object, its context, the runner, dispatcher, recorder, sampler and the service."""
