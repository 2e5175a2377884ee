"""One module per page; each exposes create(service) that registers its route."""
