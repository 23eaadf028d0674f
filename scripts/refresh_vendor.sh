#!/usr/bin/env bash
# Refresh the vendored Cytoscape.js used by trtlab.view from the npm registry.
#   bash scripts/refresh_vendor.sh            # the version pinned below
#   bash scripts/refresh_vendor.sh 3.36.0     # another version
# Takes the published ES module build (dist/cytoscape.esm.min.mjs) and the licence from the
# package tarball (`npm pack`); nothing else of the package is kept. Nothing is fetched at run time.
set -euo pipefail
VERSION="${1:-3.35.0}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$HERE/trtlab/view/static"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
npm pack "cytoscape@${VERSION}" --silent >/dev/null
tar xzf "cytoscape-${VERSION}.tgz"
cp package/dist/cytoscape.esm.min.mjs "$DEST/cytoscape.esm.min.mjs"
cp package/LICENSE "$DEST/cytoscape.LICENSE"
echo "${VERSION}" > "$DEST/cytoscape.VERSION"
echo "vendored cytoscape ${VERSION} into ${DEST}"
