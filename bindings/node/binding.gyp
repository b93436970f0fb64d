# The addon links libacidentity (a CMake-built shared library) found by
# scripts/find-acidentity.js: ACIDENTITY_PREFIX, ACIDENTITY_BUILD_DIR or pkg-config. The rpath
# lets require() find libacidentity.so.0 without LD_LIBRARY_PATH. Warnings are errors only when
# ACID_WERROR=1 (the project's own tests); a user's fallback build must not fail on a new warning.
{
  "variables": {
    "acid_include": "<!(node scripts/find-acidentity.js include)",
    "acid_libdir": "<!(node scripts/find-acidentity.js libdir)",
    "napi_include": "<!(node -p \"require('path').dirname(require.resolve('node-addon-api/package.json'))\")",
    "acid_werror": "<!(node -p \"process.env.ACID_WERROR === '1' ? 'true' : 'false'\")"
  },
  "targets": [
    {
      "target_name": "acidentity",
      "sources": ["src/addon.cc", "src/client.cc"],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED"
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags_cc": [
        "-std=c++20", "-fexceptions", "-isystem", "<(napi_include)",
        "-Wall", "-Wextra", "-Wshadow", "-Wnon-virtual-dtor", "-Wold-style-cast"
      ],
      "conditions": [["acid_werror=='true'", { "cflags_cc": ["-Werror"] }]],
      "include_dirs": ["<(acid_include)"],
      "libraries": ["-L<(acid_libdir)", "-lacidentity", "-Wl,-rpath,<(acid_libdir)"]
    }
  ]
}
