"""Alembic environment: connects with the same settings as the service."""

from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine, text

from file_api.config import Settings
from file_api.models import Base

if context.config.config_file_name is not None:
    fileConfig(context.config.config_file_name)

engine = create_engine(Settings().database_url)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, compare_type=True)
    with context.begin_transaction():
        # Several instances may start at once (`docker compose up --scale file_api=3`): one migrates,
        # the others wait for it here and then find nothing left to do.
        connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('file_api migrations'))"))
        context.run_migrations()
engine.dispose()
