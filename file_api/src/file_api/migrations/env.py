"""Alembic environment: connects with the same settings as the service."""

from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine

from file_api.config import Settings
from file_api.models import Base

if context.config.config_file_name is not None:
    fileConfig(context.config.config_file_name)

engine = create_engine(Settings().database_url)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
