"""The log database's tables (SQLite, WAL): conversations, their messages, the Dosaku agent's steps, and the
artifacts (images, stored once as files named by their hash) that steps and messages refer to; ``messages_fts``
indexes the messages' text for full-text search (FTS5), kept in step by triggers.
"""
from __future__ import annotations

#: Bumped when the tables change (``PRAGMA user_version``).
VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    user TEXT NOT NULL DEFAULT '',
    agent TEXT,
    module TEXT,
    model TEXT,
    title TEXT NOT NULL DEFAULT '',
    system_prompt TEXT,
    started REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_by_user ON conversations (user, updated);

CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    role TEXT NOT NULL,
    content TEXT NOT NULL DEFAULT '',
    extra TEXT,
    created REAL NOT NULL,
    prompt_tokens INTEGER,
    completion_tokens INTEGER,
    cost_usd REAL,
    duration_s REAL,
    UNIQUE (conversation_id, position)
);

CREATE TABLE IF NOT EXISTS steps (
    id INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    after_position INTEGER NOT NULL,
    request TEXT,
    step_index INTEGER NOT NULL,
    tool TEXT NOT NULL,
    task TEXT,
    action TEXT,
    kind TEXT,
    arguments TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL,
    summary TEXT,
    error TEXT,
    duration_s REAL,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS steps_by_conversation ON steps (conversation_id, after_position);

CREATE TABLE IF NOT EXISTS artifacts (
    hash TEXT PRIMARY KEY,
    media_type TEXT NOT NULL,
    file TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    width INTEGER,
    height INTEGER,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS artifact_links (
    artifact TEXT NOT NULL REFERENCES artifacts (hash),
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    step_id INTEGER REFERENCES steps (id) ON DELETE CASCADE,
    message_id INTEGER REFERENCES messages (id) ON DELETE CASCADE,
    label TEXT
);
CREATE INDEX IF NOT EXISTS artifact_links_by_conversation ON artifact_links (conversation_id);
CREATE INDEX IF NOT EXISTS artifact_links_by_artifact ON artifact_links (artifact);

CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts USING fts5 (
    content, content = 'messages', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);
END;
CREATE TRIGGER IF NOT EXISTS messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
END;
CREATE TRIGGER IF NOT EXISTS messages_fts_update AFTER UPDATE OF content ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
    INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);
END;
"""
