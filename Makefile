# Thin wrapper over CMake: `make run` and `make test` work on a fresh Debian/Ubuntu machine.
BUILD_DIR ?= build/release
BUILD_TYPE ?= Release
CMAKE_ARGS ?=
JOBS ?= $(shell nproc)
CTEST_EXCLUDE ?= slow|gpu|install

# ccache cannot reuse precompiled headers without these.
export CCACHE_SLOPPINESS := pch_defines,time_macros,include_file_mtime,include_file_ctime
# Fresh clones in other folders (CI) reuse the cache.
export CCACHE_BASEDIR := $(CURDIR)

.PHONY: all deps configure build run test test-all bench format clean asan-configure test-asan fuzz \
	package test-install

all: build

deps:
	@bash packaging/install-deps.sh

configure: deps
	@mkdir -p $(BUILD_DIR)
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_ARGS)

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	@if [ -x $(BUILD_DIR)/app/swav-workbench ]; then \
	  $(BUILD_DIR)/app/swav-workbench; \
	else \
	  $(BUILD_DIR)/app/swav train --preset fashion-mnist-quick; \
	fi

test: build
	@cd $(BUILD_DIR) && QT_QPA_PLATFORM=offscreen ctest --output-on-failure -j $(JOBS) -LE '$(CTEST_EXCLUDE)'

test-all: build
	@cd $(BUILD_DIR) && QT_QPA_PLATFORM=offscreen ctest --output-on-failure -LE 'gpu|install'

# The Debian package (CPack): $(BUILD_DIR)/swav-workbench_<version>_amd64.deb.
package: build
	@cmake --build $(BUILD_DIR) --target swav_package_files
	@cd $(BUILD_DIR) && cpack -G DEB

# Builds the package, checks it (lintian, desktop-file-validate, appstreamcli), installs it on
# this machine, runs it from /usr/bin, removes it and checks nothing is left: needs root.
test-install: package
	@bash packaging/install-deps.sh --packaging
	@cd $(BUILD_DIR) && QT_QPA_PLATFORM=offscreen ctest --output-on-failure -L install

# Sanitizer build (clang, AddressSanitizer + UndefinedBehaviorSanitizer, libFuzzer coverage):
# the core and command-line tests under the sanitizers, and the fuzz targets.
ASAN_DIR ?= build/asan
FUZZ_SECONDS ?= 60
FUZZ_JOBS ?= $(JOBS)
ASAN_ENV := ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

asan-configure:
	@bash packaging/install-deps.sh --sanitizers
	@mkdir -p $(ASAN_DIR)
	@cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_COMPILER=clang++ -DSWAV_SANITIZE=address,undefined -DSWAV_FUZZ=ON \
	  -DSWAV_BUILD_GUI=OFF $(CMAKE_ARGS)

test-asan: asan-configure
	@cmake --build $(ASAN_DIR) -j $(JOBS)
	@cd $(ASAN_DIR) && $(ASAN_ENV) ctest --output-on-failure -j $(JOBS) -LE '$(CTEST_EXCLUDE)'

fuzz: asan-configure
	@cmake --build $(ASAN_DIR) -j $(JOBS) --target fuzz_targets
	@bash tests/fuzz/run-fuzzers.sh $(ASAN_DIR) $(FUZZ_SECONDS) $(FUZZ_JOBS)

format:
	@git ls-files '*.h' '*.cpp' | xargs clang-format -i

clean:
	@rm -rf $(BUILD_DIR)
