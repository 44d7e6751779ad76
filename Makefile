# souk — build, run, test, benchmark. See the README for the two commands.
#
#   make            build build/souk
#   make run        install what is missing, build, create ./souk.db with a demo store, serve :8080
#   make test       install what is missing, build, run every test suite (ends "N passed, N failed")
#   make san        the whole suite under AddressSanitizer + UndefinedBehaviorSanitizer
#   make bench      HTTP against nginx, sign-in, checkouts (bench/http.sh, auth.sh, checkout.sh)
#   make fuzz       longer fuzzing runs (FUZZ_SECONDS each)
#   make coverage   line coverage per module (unit + HTTP tests on a --coverage build in build-cov)
#   make CC=clang BUILD=build-clang   the same with clang

CC       ?= cc
BUILD    ?= build
OPT      ?= -O2 -g
SAN      ?=
WARN     := -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wno-missing-field-initializers
CPPFLAGS := -Isrc -I$(BUILD)/gen -D_GNU_SOURCE -DH2O_USE_LIBUV=0 -I/usr/include/liboath -I/usr/include/postgresql
CFLAGS   := -std=c17 $(OPT) $(WARN) $(SAN) -pthread $(EXTRA_CFLAGS)
# search text (src/search): utf8proc ships a pkg-config file; libstemmer and CRoaring do not
UTF8PROC_LIBS := $(shell pkg-config --libs libutf8proc 2>/dev/null || echo -lutf8proc)
SEARCH_LIBS   := $(UTF8PROC_LIBS) -lstemmer -lroaring
# recommendations (src/recommend): OpenBLAS for the dense algebra, LAPACKE for the small solves
RECOMMEND_LIBS := -llapacke -lopenblas
# product images (src/catalog/image_codec.c): libvips and its GLib
VIPS_CFLAGS := $(shell pkg-config --cflags vips 2>/dev/null)
VIPS_LIBS   := $(shell pkg-config --libs vips 2>/dev/null || echo -lvips -lgobject-2.0 -lglib-2.0)
$(BUILD)/obj/catalog/image_codec.o: CPPFLAGS += $(patsubst -I%,-isystem %,$(VIPS_CFLAGS))
LDLIBS   := -lh2o-evloop -lssl -lcrypto -ljansson -lsqlite3 -lpq -lhiredis -lsodium -loath -lcurl -lqrencode $(SEARCH_LIBS) $(RECOMMEND_LIBS) $(VIPS_LIBS) -lz -lpthread -lm
LDFLAGS  := $(SAN) $(EXTRA_LDFLAGS)

SRC      := $(sort $(wildcard src/*/*.c src/store/sqlite/*.c src/store/postgres/*.c))
MAIN_SRC := src/app/main.c
LIB_SRC  := $(filter-out $(MAIN_SRC),$(SRC))
MIGRATIONS := $(sort $(wildcard src/store/migrations/sqlite/*.sql))
# PostgreSQL's set: each SQLite file translated by postgres.sed (INTEGER is
# BIGINT there, BLOB BYTEA), except where postgres/ holds a hand-written twin
PG_MIGRATIONS := $(foreach m,$(MIGRATIONS),$(or $(wildcard src/store/migrations/postgres/$(notdir $m)),$(BUILD)/gen/pg/$(notdir $m)))
# the admin and vendor dashboards: web/admin bundled by esbuild (npm, build time only)
ADMIN_JS := $(sort $(wildcard web/admin/src/*.js))
ESBUILD  := web/admin/node_modules/.bin/esbuild
ASSETS   := src/app/openapi.json web/site.css web/site.js $(BUILD)/gen/admin.js $(BUILD)/gen/admin.css
GEN_SRC  := $(BUILD)/gen/migrations_sqlite.c $(BUILD)/gen/migrations_postgres.c $(BUILD)/gen/assets.c
LIB_OBJ  := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(LIB_SRC)) $(patsubst $(BUILD)/gen/%.c,$(BUILD)/obj/gen/%.o,$(GEN_SRC))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))
FUZZ_SECONDS ?= 60

.PHONY: all deps run test unit api fuzz fuzz-short san coverage bench clean format
all: $(BUILD)/souk

$(BUILD)/tools/embed: tools/embed.c
	@mkdir -p $(dir $@)
	$(CC) -std=c17 -O1 -Wall -Wextra -Werror -o $@ $<

$(BUILD)/gen/migrations_sqlite.c: $(MIGRATIONS) $(BUILD)/tools/embed
	@mkdir -p $(dir $@)
	$(BUILD)/tools/embed souk_migrations_sqlite $@ $(MIGRATIONS)

$(BUILD)/gen/pg/%.sql: src/store/migrations/sqlite/%.sql src/store/migrations/postgres.sed
	@mkdir -p $(dir $@)
	sed -E -f src/store/migrations/postgres.sed $< > $@

$(BUILD)/gen/migrations_postgres.c: $(PG_MIGRATIONS) $(BUILD)/tools/embed
	@mkdir -p $(dir $@)
	$(BUILD)/tools/embed souk_migrations_postgres $@ $(PG_MIGRATIONS)

$(ESBUILD): web/admin/package.json web/admin/package-lock.json
	cd web/admin && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(BUILD)/gen/admin.js: $(ADMIN_JS) $(ESBUILD)
	@mkdir -p $(dir $@)
	$(ESBUILD) web/admin/src/main.js --bundle --minify --format=iife --target=es2020 --legal-comments=eof \
	  --log-level=warning --outfile=$@

$(BUILD)/gen/admin.css: web/admin/admin.css $(ESBUILD)
	@mkdir -p $(dir $@)
	$(ESBUILD) web/admin/admin.css --bundle --minify --log-level=warning --outfile=$@

$(BUILD)/gen/assets.c: $(ASSETS) $(BUILD)/tools/embed
	@mkdir -p $(dir $@)
	$(BUILD)/tools/embed souk_assets $@ $(ASSETS)

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/libsouk.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/souk: $(BUILD)/obj/app/main.o $(BUILD)/libsouk.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(BUILD)/libsouk.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(BUILD)/libsouk.a $(LDFLAGS) $(LDLIBS) -lcmocka

# libFuzzer needs clang; each driver links the library built with fuzzing
# instrumentation in $(FUZZ_BUILD) (fuzz-lib brings it up to date first). That build
# compiles every source file, main.c too, with clang and $(WARN): it is also the suite's
# clang -Werror check (make test builds the rest with gcc).
FUZZ_BUILD := $(BUILD)-fuzz
.PHONY: fuzz-lib
fuzz-lib:
	@$(MAKE) --no-print-directory CC=clang BUILD=$(FUZZ_BUILD) OPT="-O1 -g" \
	    SAN="-fsanitize=fuzzer-no-link,address,undefined" $(FUZZ_BUILD)/libsouk.a $(FUZZ_BUILD)/obj/app/main.o

$(BUILD)/fuzz/%: tests/fuzz/%.c fuzz-lib
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) -I$(FUZZ_BUILD)/gen -std=c17 -O1 -g $(WARN) -fsanitize=fuzzer,address,undefined \
	    -o $@ $< $(FUZZ_BUILD)/libsouk.a $(LDLIBS)

deps:
	@scripts/deps.sh

unit: $(UNIT_BIN)

# the suite: unit tests, HTTP tests against a real server, short fuzz runs
test: deps $(BUILD)/souk $(UNIT_BIN) $(FUZZ_BIN)
	@BUILD=$(BUILD) tests/run.sh

# the suite again under AddressSanitizer + UndefinedBehaviorSanitizer
san: deps
	$(MAKE) BUILD=build-san OPT="-O1 -g -fno-omit-frame-pointer" \
	    SAN="-fsanitize=address,undefined -fno-sanitize-recover=all" build-san/souk \
	    $(patsubst $(BUILD)/%,build-san/%,$(UNIT_BIN))
	@BUILD=build-san SOUK_SKIP_FUZZ=1 SOUK_SKIP_PG_HTTP=1 SOUK_SKIP_BROWSER=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 tests/run.sh

fuzz: $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do n=$${f##*/fuzz_}; mkdir -p $(BUILD)/fuzz-corpus/$$n; \
	  $$f -max_total_time=$(FUZZ_SECONDS) $(BUILD)/fuzz-corpus/$$n tests/fuzz/corpus/$$n || exit 1; done

# line coverage per module (src/<module>): the unit tests and the HTTP tests
# (tests/api) against a build with --coverage in build-cov, reported by gcovr
# (Debian's; scripts/deps.sh coverage installs it, nothing else needs it).
# COVERAGE_TESTS="api/a.test.js api/b.test.js" limits the HTTP part.
coverage:
	@command -v gcovr >/dev/null 2>&1 || scripts/deps.sh coverage
	$(MAKE) BUILD=build-cov OPT="-O0 -g" SAN="--coverage" build-cov/souk \
	    $(patsubst $(BUILD)/%,build-cov/%,$(UNIT_BIN))
	scripts/coverage.sh build-cov

run: deps $(BUILD)/souk
	@test -f souk.db || $(BUILD)/souk demo --db souk.db --products 2000 --history 180
	$(BUILD)/souk serve --db souk.db --listen 127.0.0.1:8080

bench: deps $(BUILD)/souk
	bench/http.sh
	bench/auth.sh
	bench/checkout.sh

format:
	clang-format -i $(SRC) $(wildcard src/*/*.h) $(UNIT_SRC) $(FUZZ_SRC)

clean:
	rm -rf build build-san build-clang build-fuzz build-cov

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
