'use strict'
/*
 * The consumed-offset marker, `<log>.consumed`: lines of "<inode> <offset>". The line that names
 * the log's inode says where its unconsumed records start. A compaction writes two lines (the old
 * file's and the new one's), so a crash at any point leaves the right offset for whichever file
 * survived. The marker is written whole to a temporary file, synced, and renamed over the old one.
 */
const fs = require('node:fs')
const fsp = require('node:fs/promises')
const path = require('node:path')

/**
 * The offset `text` gives the file with inode `ino` and size `size`: 0 when no line names it, or
 * when its offset is past the end (the file was compacted or truncated after the marker was written).
 */
function offsetIn(text, ino, size) {
  for (const line of text.split('\n')) {
    const [i, o] = line.trim().split(' ')
    if (i === String(ino)) {
      const off = Number(o)
      return Number.isSafeInteger(off) && off >= 0 && off <= size ? off : 0
    }
  }
  return 0
}

/** Where the unconsumed records of the file (`ino`, `size`) start, by the marker at `markerPath`. */
async function readOffset(markerPath, ino, size) {
  let text = ''
  try {
    text = await fsp.readFile(markerPath, 'utf8')
  } catch (e) {
    if (e.code !== 'ENOENT') throw e
  }
  return offsetIn(text, ino, size)
}

/** readOffset without waiting (an unreadable marker counts as none). */
function readOffsetSync(markerPath, ino, size) {
  let text = ''
  try {
    text = fs.readFileSync(markerPath, 'utf8')
  } catch {}
  return offsetIn(text, ino, size)
}

/** Replaces the marker with `lines` ("<inode> <offset>\n" each), durably. */
async function writeMarker(markerPath, lines) {
  const tmp = `${markerPath}.tmp`
  const fh = await fsp.open(tmp, 'w')
  try {
    await fh.write(lines.join(''))
    await fh.datasync()
  } finally {
    await fh.close()
  }
  await fsp.rename(tmp, markerPath)
}

/** Makes a rename in `file`'s directory durable, where the filesystem allows it. */
async function syncDir(file) {
  let fh
  try {
    fh = await fsp.open(path.dirname(file), 'r')
    await fh.sync()
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic.
  } finally {
    if (fh) await fh.close().catch(() => {})
  }
}

module.exports = { readOffset, readOffsetSync, writeMarker, syncDir }
