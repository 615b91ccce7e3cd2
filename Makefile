# poolsim: a simulator of Go's net/http connection pool.
#   make          build build/poolsim (installs missing Debian packages first)
#   make test     every test: Check suites, scenario tests, tmux dashboard tests, the Go probe's go test,
#                 the fuzz harnesses built and run on their seeds and saved regressions,
#                 then the Check suites again under gcc's ASan+UBSan and under
#                 clang's UBSan with its integer and float-cast checks
#   make demo     the live dashboard, simulated beside real sockets
#   make bench    throughput and real-mode lag figures (not part of test)
#   make fuzz     libFuzzer on the scenario reader, and the model fuzzer
#   make oracle   every lesson through the simulator and Go's own net/http
#   make docs     regenerate the guide's SVG pictures from the lessons
#   make install  PREFIX=/usr/local DESTDIR=
# A build with EXTRA_CFLAGS=-DPOOLSIM_DEBUG checks the pool's invariants after
# every event of every run; make test's sanitizer pass is such a build.
# The public targets check for their Debian packages (tools/deps.sh), then
# re-enter make so pkg-config runs after anything was installed.

CC ?= cc
BUILD ?= build
PREFIX ?= /usr/local
VERSION := 0.1.0
WARN := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
OPT ?= -O2 -g
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)
BASE_CFLAGS = $(WARN) $(OPT) -D_GNU_SOURCE -DPOOLSIM_VERSION='"$(VERSION)"' $(EXTRA_CFLAGS) -MMD -MP
LDLIBS = $(shell pkg-config --libs ncursesw openssl inih libnghttp2 2>/dev/null) -lm -lpthread $(EXTRA_LDFLAGS)

# The layering, enforced by the compiler (docs/model.md, "The source tree").
# Each folder of sim/ sees its own headers, the folders it may use, and the
# libraries it may use; every other library's headers are replaced by ones
# that stop the build (tools/poison.sh), so a stray #include is an error.
DIRS := core scenario engine simulate real outputs dashboard cli
USES_core :=
USES_scenario := core
USES_engine := core scenario
USES_simulate := core scenario engine
USES_real := core scenario engine
USES_outputs := core scenario
USES_dashboard := core scenario
USES_cli := core scenario engine simulate real outputs dashboard
LIBS_scenario := inih
LIBS_real := openssl libnghttp2
LIBS_cli :=
# ncurses is for one file only: the dashboard's screen.
LIBS_dashboard/dash := ncursesw
POISONED := ncursesw openssl inih libnghttp2
POISON := $(BUILD)/poison

# folder_cflags DIR [FILE]: the include path and library flags of a folder (or one file in it).
folder_libs = $(LIBS_$(1)) $(LIBS_$(1)/$(2))
folder_cflags = -Isim/$(1) $(addprefix -Isim/,$(USES_$(1))) \
	$(addprefix -I$(POISON)/,$(filter-out $(call folder_libs,$(1),$(2)),$(POISONED))) \
	$(foreach lib,$(call folder_libs,$(1),$(2)),$(shell pkg-config --cflags $(lib) 2>/dev/null))

LIB_SRC := $(filter-out sim/cli/main.c,$(foreach d,$(DIRS),$(wildcard sim/$(d)/*.c)))
LIB_OBJ := $(LIB_SRC:sim/%.c=$(BUILD)/obj/%.o)
TEST_SRC := $(wildcard tests/unit/*.c)
TEST_OBJ := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tobj/%.o)
TEST_CFLAGS = $(addprefix -Isim/,$(DIRS)) $(foreach lib,$(POISONED),$(shell pkg-config --cflags $(lib) 2>/dev/null))

.PHONY: all deps test demo bench fuzz oracle docs install clean check-layering check-format check-units check-scenarios check-real check-harden check-e2e check-probe check-sanitized check-ubsan print-layering

all:
	@sh tools/deps.sh build
	@$(MAKE) --no-print-directory $(BUILD)/poolsim

deps:
	@sh tools/deps.sh all

$(POISON)/.stamp: tools/poison.sh
	@sh tools/poison.sh $(POISON) $(POISONED)
	@touch $@

# The folder of an object is the word after obj/; its file name picks per-file libraries.
$(BUILD)/obj/%.o: sim/%.c $(POISON)/.stamp
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(call folder_cflags,$(firstword $(subst /, ,$*)),$(notdir $*)) -c $< -o $@

$(BUILD)/tobj/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(TEST_CFLAGS) $(CHECK_CFLAGS) -c $< -o $@

# print-cflags-DIR: the flags a folder is compiled with; print-layering: one line per
# folder, "DIR|folders it may use|libraries it may use" (tests/layering.sh reads both).
print-cflags-%: $(POISON)/.stamp
	@echo $(call folder_cflags,$*,)
print-layering:
	@$(foreach d,$(DIRS),echo '$(d)|$(USES_$(d))|$(LIBS_$(d))';)

$(BUILD)/libpoolsim.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/poolsim: $(BUILD)/obj/cli/main.o $(BUILD)/libpoolsim.a
	$(CC) $(BASE_CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/unit-tests: $(TEST_OBJ) $(BUILD)/libpoolsim.a
	$(CC) $(BASE_CFLAGS) -o $@ $^ $(CHECK_LIBS) $(LDLIBS)

test:
	@sh tools/deps.sh test
	@$(MAKE) --no-print-directory check-layering check-format check-units check-scenarios check-real check-harden check-e2e check-probe
	@echo "== the whole tree with clang -Werror =="
	@$(MAKE) --no-print-directory CC=clang BUILD=build/clang build/clang/poolsim build/clang/unit-tests
	@$(MAKE) --no-print-directory BUILD=build/san OPT='-O1 -g -fno-omit-frame-pointer' \
		EXTRA_CFLAGS='-fsanitize=address,undefined -fno-sanitize-recover=all -DPOOLSIM_DEBUG' \
		EXTRA_LDFLAGS='-fsanitize=address,undefined' check-sanitized
	@$(MAKE) --no-print-directory CC=clang BUILD=build/ubsan OPT='-O1 -g -fno-omit-frame-pointer' \
		EXTRA_CFLAGS='$(CLANG_UBSAN) -fno-sanitize-recover=all -DPOOLSIM_DEBUG' \
		EXTRA_LDFLAGS='$(CLANG_UBSAN)' check-ubsan

check-layering: $(POISON)/.stamp
	sh tests/layering.sh

check-format:
	sh tests/format.sh

check-units: $(BUILD)/unit-tests $(BUILD)/poolsim
	POOLSIM=$(CURDIR)/$(BUILD)/poolsim $(BUILD)/unit-tests

check-scenarios: $(BUILD)/poolsim
	sh tests/scenarios.sh $(BUILD)/poolsim
	sh tests/sweep.sh $(BUILD)/poolsim
	sh tests/replay.sh $(BUILD)/poolsim

check-real: $(BUILD)/poolsim
	sh tests/real.sh $(BUILD)/poolsim

# The attacks of issue #18 (hostile names, signals, FIFOs, failed writes, fd limits).
check-harden: $(BUILD)/poolsim
	sh tests/harden.sh $(BUILD)/poolsim
	sh tests/signals.sh $(BUILD)/poolsim 20

# The Go probe package (probe/): go test ./... under each Go toolchain present.
check-probe:
	sh tests/probe.sh

check-e2e: $(BUILD)/poolsim
	sh tests/e2e.sh $(BUILD)/poolsim
	sh tests/oracle-build.sh $(BUILD)/poolsim
	sh tests/fuzz.sh $(BUILD)/poolsim 0
	sh tests/docs-fresh.sh $(BUILD)/poolsim
	sh tests/svg.sh $(BUILD)/poolsim
	sh tests/events.sh $(BUILD)/poolsim
	sh tests/attach.sh $(BUILD)/poolsim

# clang's UBSan beyond gcc's: float-cast-overflow (a double out of an integer's range) and the
# whole `integer` group, unsigned wrap and lossy implicit conversions included. It is clean by
# design: the few functions that wrap on purpose (the RNG, the FNV name hash) say so with
# PS_MODULAR (core/common.h), so every other wrap stops the pass.
CLANG_UBSAN := -fsanitize=undefined,float-cast-overflow,integer

check-ubsan: $(BUILD)/unit-tests $(BUILD)/poolsim
	@echo "== the same suites under clang's UBSan (undefined, float-cast-overflow, integer) =="
	POOLSIM=$(CURDIR)/$(BUILD)/poolsim $(BUILD)/unit-tests
	sh tests/scenarios.sh $(BUILD)/poolsim
	HARDEN_HEAVY=0 sh tests/harden.sh $(BUILD)/poolsim

check-sanitized: $(BUILD)/unit-tests $(BUILD)/poolsim
	@echo "== the same suites under AddressSanitizer + UndefinedBehaviorSanitizer =="
	POOLSIM=$(CURDIR)/$(BUILD)/poolsim ASAN_OPTIONS=detect_leaks=1 $(BUILD)/unit-tests
	ASAN_OPTIONS=detect_leaks=1 sh tests/scenarios.sh $(BUILD)/poolsim
	HARDEN_HEAVY=0 ASAN_OPTIONS=detect_leaks=1 sh tests/harden.sh $(BUILD)/poolsim
	ASAN_OPTIONS=detect_leaks=1 sh tests/signals.sh $(BUILD)/poolsim 5

demo:
	@sh tools/deps.sh build
	@$(MAKE) --no-print-directory $(BUILD)/poolsim
	@echo "poolsim demo: simulated (left) beside real sockets (right); ? explains the screen. To learn one rule at a time: $(BUILD)/poolsim watch 3 --teach"
	$(BUILD)/poolsim watch --compare scenarios/demo.ini

bench:
	@sh tools/deps.sh bench
	@$(MAKE) --no-print-directory $(BUILD)/poolsim
	sh tests/bench.sh $(BUILD)/poolsim
	@if [ "$${BENCH_MEMORY:-0}" = 1 ]; then sh tests/bench-memory.sh $(BUILD)/poolsim; else \
		echo "bench: the live-limit memory table is left out (BENCH_MEMORY=1 runs it): since ports are"; \
		echo "       modelled, its cases run out of ephemeral ports before the live limit and run for hours"; fi
	@if [ "$${BENCH_PROFILE:-0}" = 1 ]; then sh tests/bench-profile.sh $(BUILD)/poolsim; else \
		echo "bench: the instruction counts (valgrind, about 5 minutes) are left out: BENCH_PROFILE=1 runs them"; fi

fuzz:
	@sh tools/deps.sh fuzz
	@$(MAKE) --no-print-directory $(BUILD)/poolsim
	sh tests/fuzz.sh $(BUILD)/poolsim $${FUZZ_SECONDS:-60}

oracle:
	@sh tools/deps.sh oracle
	@$(MAKE) --no-print-directory $(BUILD)/poolsim
	sh tests/oracle/run.sh $(BUILD)/poolsim

docs:
	@sh tools/deps.sh build
	@$(MAKE) --no-print-directory $(BUILD)/poolsim
	sh tools/make-docs.sh $(BUILD)/poolsim

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/poolsim/scenarios
	install -m 755 $(BUILD)/poolsim $(DESTDIR)$(PREFIX)/bin/poolsim
	install -m 644 docs/poolsim.1 $(DESTDIR)$(PREFIX)/share/man/man1/poolsim.1
	install -m 644 scenarios/*.ini scenarios/*.csv $(DESTDIR)$(PREFIX)/share/poolsim/scenarios/

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(BUILD)/obj/cli/main.d
