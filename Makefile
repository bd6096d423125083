# The two commands of the README. Both install what they need first.
.PHONY: run test down status token catalogue

run:  ## Kafka, FerretDB and the five services, with sample data; Ctrl-C stops everything
	@scripts/bootstrap.sh
	@python3 -m uv run crm up

test:  ## the whole suite against the real Kafka broker and FerretDB
	@scripts/bootstrap.sh
	@scripts/test.sh

down:
	@python3 -m uv run crm down

status:
	@python3 -m uv run crm status

token:
	@python3 -m uv run crm token issue

catalogue:
	@python3 -m uv run crm catalogue write
