/* sqlite_internals.c: SQLite itself, plus the functions of sqlite_internals.h.
**
** This file is the SQLite translation unit of the build: it includes the pinned
** amalgamation and then defines our additions, which read SQLite's internal structures
** or call its internal functions as SQLite itself does. It must never modify SQLite's
** code or behaviour.
*/
/* The amalgamation must come first, before anything includes sqlite3.h. */
/* clang-format off */
#include "sqlite3.c"
#include "sqlite_internals.h"
/* clang-format on */

/* The reads libsql_read_column() leaves to SQLite's API, which converts the value in
** place (and reports OOM) as sqlite3_column_*() do: text of a UTF-16 database, and
** zeroblob(N), whose zeros SQLite materialises on first read. Out of line, so that the
** common reads need no stack frame. */
static SQLITE_NOINLINE int read_column_through_api(sqlite3_stmt* stmt, int column, int type,
                                                   libsql_column* out) {
  out->type = type;
  out->data = type == LIBSQL_COLUMN_TEXT ? (const void*)sqlite3_column_text(stmt, column)
                                         : sqlite3_column_blob(stmt, column);
  out->size = (size_t)sqlite3_column_bytes(stmt, column);
  return 1;
}

int libsql_read_column(sqlite3_stmt* stmt, int column, libsql_column* out) {
  Vdbe* vdbe = (Vdbe*)stmt;
  out->type = LIBSQL_COLUMN_NULL;
  out->integer = 0;
  out->data = 0;
  out->size = 0;
  if (vdbe->pResultRow == 0 || column < 0 || column >= vdbe->nResColumn) return 0;
  const Mem* value = &vdbe->pResultRow[column];
  const u16 flags = value->flags;
  /* sqlite3_value_type()'s precedence (its SQLITE_DEBUG block spells it out): a value
  ** can hold a number and its text at once, and is then the number. Tested here rather
  ** than by calling it: the call costs as much as the rest of the read. */
  if ((flags & MEM_Null) != 0) return 1;
  if ((flags & (MEM_Real | MEM_IntReal)) != 0) {
    out->type = LIBSQL_COLUMN_REAL;
    /* MEM_IntReal: an integer kept as such in a REAL column; it reads as a double. */
    out->real = (flags & MEM_Real) != 0 ? value->u.r : (double)value->u.i;
  } else if ((flags & MEM_Int) != 0) {
    out->type = LIBSQL_COLUMN_INTEGER;
    out->integer = value->u.i;
  } else if ((flags & MEM_Str) != 0) {
    if (value->enc != SQLITE_UTF8) {
      return read_column_through_api(stmt, column, LIBSQL_COLUMN_TEXT, out);
    }
    out->type = LIBSQL_COLUMN_TEXT;
    out->data = value->z;
    out->size = (size_t)value->n;
  } else {
    if ((flags & MEM_Zero) != 0) {
      return read_column_through_api(stmt, column, LIBSQL_COLUMN_BLOB, out);
    }
    out->type = LIBSQL_COLUMN_BLOB;
    out->data = value->z;
    out->size = (size_t)value->n;
  }
  return 1;
}

long long libsql_changes_of_run(sqlite3_stmt* stmt) {
  Vdbe* vdbe = (Vdbe*)stmt;
  /* changeCntOn is set at compile time for a top-level INSERT, UPDATE or DELETE, and
  ** sqlite3VdbeHalt() then stores the statement's count in db->nChange, but only for a
  ** program that opened a transaction (bIsReader). EXPLAIN lists the program instead
  ** of running it, and never halts. */
  if (!vdbe->changeCntOn || !vdbe->bIsReader || vdbe->explain) return 0;
  return vdbe->db->nChange;
}

unsigned long long libsql_schema_generation(sqlite3* db) {
  /* Mixes each schema's identity, generation (bumped when it is cleared) and cookie (set
  ** by each DDL statement and each load), and the number of attached databases. */
  unsigned long long hash = (unsigned long long)db->nDb;
  for (int i = 0; i < db->nDb; i++) {
    const Schema* schema = db->aDb[i].pSchema;
    if (schema == 0) continue;
    hash = hash * 1000003u ^ (unsigned long long)(uptr)schema;
    hash = hash * 1000003u ^ (unsigned)schema->iGeneration;
    hash = hash * 1000003u ^ (unsigned)schema->schema_cookie;
    hash = hash * 1000003u ^ (unsigned)schema->schemaFlags;
  }
  return hash;
}

int libsql_wal_read_position(sqlite3* db, libsql_wal_position* out) {
  out->max_frame = 0;
  out->salt[0] = out->salt[1] = 0;
  out->reads_wal = 0;
  Btree* btree = db->aDb[0].pBt;
  if (btree == 0 || sqlite3BtreeTxnState(btree) == SQLITE_TXN_NONE) return 0;
  Wal* wal = sqlite3BtreePager(btree)->pWal;
  if (wal == 0 || wal->readLock < 0) return 0;
  out->max_frame = wal->hdr.mxFrame;
  out->salt[0] = wal->hdr.aSalt[0];
  out->salt[1] = wal->hdr.aSalt[1];
  /* Read lock 0 means the snapshot reads the database file alone: every frame is
  ** already checkpointed, and a writer may restart the WAL under this reader. */
  out->reads_wal = wal->readLock > 0;
  return 1;
}

/* ---- WAL injection (libsql_wal_inject, libsql_wal_forget_cache) ----
**
** How a commit of ours becomes an ordinary SQLite WAL transaction, checked against
** 3.46.1's pager.c and wal.c:
**   - BEGIN IMMEDIATE leaves the pager in PAGER_WRITER_LOCKED holding the WAL write
**     lock, its read snapshot the newest (sqlite3WalBeginWriteTransaction refuses any
**     other), and nothing dirty in its cache.
**   - sqlite3WalFrames() is the call pagerWalFrames() makes at a cache spill (isCommit
**     0) and at commit (isCommit 1, nTruncate = size). walFrames() reads only pData,
**     pgno, pDirty and flags (PGHDR_WAL_APPEND, which it sets and clears) of each PgHdr;
**     a page written earlier in the same transaction is overwritten in place and the
**     checksums redone at commit. The commit frame carries nTruncate, which readers and
**     checkpoints take as the database size (walCheckpoint copies no page above it and
**     truncates the file to it), so a commit grows and shrinks the database alike.
**   - A commit writes the shared wal-index header. The ROLLBACK that ends the transaction
**     then finds nothing to undo: sqlite3WalUndo() reloads its header from the shared one,
**     which already holds every frame, and pagerRollbackWal() finds no dirty page. Before
**     a commit, the same ROLLBACK discards uncommitted frames exactly as after a spill:
**     sqlite3WalUndo() rewinds to the shared header and walCleanupHash() drops their
**     hash entries.
**   - What the ROLLBACK does not do: the pager cache keeps the pages it read before the
**     commit (sqlite3WalBeginReadTransaction() will not report a change, because this
**     connection's header is the shared one), and the connection keeps its schema.
**     libsql_wal_forget_cache() drops both.
*/

/* The main database's pager, or 0 with the error recorded on db. */
static Pager* injection_pager(sqlite3* db) {
  Btree* btree = db->aDb[0].pBt;
  if (btree == 0) {
    sqlite3ErrorWithMsg(db, SQLITE_MISUSE, "the connection has no main database");
    return 0;
  }
  if (btree->sharable) {
    sqlite3ErrorWithMsg(db, SQLITE_MISUSE, "cannot inject pages through a shared cache");
    return 0;
  }
  return sqlite3BtreePager(btree);
}

int libsql_wal_inject(sqlite3* db, const libsql_page_image* pages, int count, int page_size,
                      unsigned int size_after) {
  int rc = SQLITE_OK;
  PgHdr* headers = 0;
  PgHdr* list = 0;
  PgHdr** tail = &list;
  DbPage* page_one = 0;
  sqlite3_mutex_enter(db->mutex);
  Btree* btree = db->aDb[0].pBt;
  Pager* pager = injection_pager(db);
  if (pager == 0) {
    sqlite3_mutex_leave(db->mutex);
    return SQLITE_MISUSE;
  }
  sqlite3BtreeEnter(btree);
  if (sqlite3BtreeTxnState(btree) != SQLITE_TXN_WRITE || pager->eState != PAGER_WRITER_LOCKED ||
      pager->errCode != SQLITE_OK) {
    /* WRITER_LOCKED and no further: a page the connection changed itself would be
    ** committed or undone behind our frames' back. */
    rc = SQLITE_MISUSE;
    sqlite3ErrorWithMsg(db, rc,
                        "cannot inject pages: the connection needs a write transaction that "
                        "changed nothing (BEGIN IMMEDIATE)");
    goto leave;
  }
  /* The pager opens the WAL at the transaction's start, so this check comes second. */
  if (!pagerUseWal(pager)) {
    rc = SQLITE_MISUSE;
    sqlite3ErrorWithMsg(db, rc, "cannot inject pages: the database is not in WAL mode");
    goto leave;
  }
  if (pager->pageSize != page_size) {
    rc = SQLITE_MISUSE;
    sqlite3ErrorWithMsg(db, rc, "cannot inject %d-byte pages into a database of %d-byte pages",
                        page_size, (int)pager->pageSize);
    goto leave;
  }
  if (size_after > pager->mxPgno) {
    rc = SQLITE_FULL;
    sqlite3ErrorWithMsg(db, rc, "a database of %u pages is larger than SQLite allows (%u)",
                        size_after, pager->mxPgno);
    goto leave;
  }
  for (int i = 0; i < count; i++) {
    const Pgno pgno = pages[i].page_no;
    if (pgno == 0 || pgno > pager->mxPgno) {
      rc = SQLITE_CORRUPT;
      sqlite3ErrorWithMsg(db, rc, "page number %u is out of range (1 to %u)", pgno, pager->mxPgno);
      goto leave;
    }
    if (pgno == PAGER_SJ_PGNO(pager)) {
      rc = SQLITE_CORRUPT;
      sqlite3ErrorWithMsg(db, rc, "page %u is SQLite's lock page, which is never written", pgno);
      goto leave;
    }
    /* sqlite3WalUndo() counts on page 1 never being in an uncommitted frame (the btree
    ** holds a reference to it throughout the transaction). */
    if (pgno == 1 && size_after == 0) {
      rc = SQLITE_MISUSE;
      sqlite3ErrorWithMsg(db, rc, "page 1 may only be injected with the commit");
      goto leave;
    }
  }

  headers = sqlite3_malloc64(sizeof(PgHdr) * (sqlite3_uint64)(count > 0 ? count : 1));
  if (headers == 0) {
    rc = SQLITE_NOMEM;
    sqlite3Error(db, rc);
    goto leave;
  }
  memset(headers, 0, sizeof(PgHdr) * (size_t)(count > 0 ? count : 1));
  /* Chain the pages in the order given, leaving out, at commit, those above the new
  ** size: pagerWalFrames() drops them too, as no reader may see them. */
  for (int i = 0, used = 0; i < count; i++) {
    if (size_after != 0 && pages[i].page_no > size_after) continue;
    PgHdr* header = &headers[used++];
    header->pData = (void*)pages[i].data;
    header->pgno = pages[i].page_no;
    header->flags = PGHDR_DIRTY;
    *tail = header;
    tail = &header->pDirty;
  }
  if (list == 0) {
    if (size_after == 0) goto leave; /* nothing to write yet */
    /* A commit frame must carry a page: as sqlite3PagerCommitPhaseOne() does when no page
    ** is dirty, rewrite page 1 as it is. The cached copy is current (the btree read it
    ** when this transaction began, from a cache libsql_wal_forget_cache() emptied after
    ** the last commit), and page 1 is never among the uncommitted frames. */
    rc = sqlite3PagerGet(pager, 1, &page_one, 0);
    if (rc != SQLITE_OK) {
      sqlite3Error(db, rc);
      goto leave;
    }
    headers[0].pData = page_one->pData;
    headers[0].pgno = 1;
    headers[0].flags = PGHDR_DIRTY;
    list = &headers[0];
  }
  rc = sqlite3WalFrames(pager->pWal, page_size, list, (Pgno)size_after, size_after != 0,
                        pager->walSyncFlags);
  if (rc != SQLITE_OK) sqlite3Error(db, rc);

leave:
  if (page_one != 0) sqlite3PagerUnref(page_one);
  sqlite3_free(headers);
  sqlite3BtreeLeave(btree);
  sqlite3_mutex_leave(db->mutex);
  return rc;
}

int libsql_wal_forget_cache(sqlite3* db) {
  int rc = SQLITE_OK;
  sqlite3_mutex_enter(db->mutex);
  Btree* btree = db->aDb[0].pBt;
  Pager* pager = injection_pager(db);
  if (pager == 0) {
    sqlite3_mutex_leave(db->mutex);
    return SQLITE_MISUSE;
  }
  sqlite3BtreeEnter(btree);
  /* Between transactions no page is referenced, so the whole cache can go. */
  if (!db->autoCommit || db->nVdbeActive > 0 || pager->eState != PAGER_OPEN ||
      sqlite3PcacheRefCount(pager->pPCache) != 0) {
    rc = SQLITE_MISUSE;
    sqlite3ErrorWithMsg(db, rc, "cannot forget cached pages while a transaction is open");
  } else {
    pager_reset(pager);
    /* Deferred by SQLite while a statement holds the schema (nSchemaLock). */
    sqlite3ResetOneSchema(db, 0);
  }
  sqlite3BtreeLeave(btree);
  sqlite3_mutex_leave(db->mutex);
  return rc;
}
