# qaudit — one Makefile, top to bottom.
#   make          build ./qaudit
#   make run      install deps, build, write out/report.{pdf,json} from examples
#   make test     install deps (and the test group), build, run every test ("N passed, N failed")
#   make bench    speed and memory benchmarks
#   make install PREFIX=/usr/local
#   make clean

PREFIX   ?= /usr/local
DATADIR  := $(PREFIX)/share/qaudit
CC       ?= cc
# Libraries with a .pc file come from pkg-config.  GSL's .pc links its own
# reference CBLAS (gslcblas); we link OpenBLAS in its place, so GSL's BLAS
# calls run on OpenBLAS.  libharu ships no .pc.  zlib: qaudit verify
# inflates the PDF's embedded files (src/cli/verify_pdf.c).
PKGS     := hdf5 gsl cairo freetype2 libcjson nettle openblas zlib
OPT      ?= -O2 -g
CFLAGS   += -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(OPT) -Wall -Wextra \
            -Isrc $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS   += $(shell pkg-config --libs hdf5 cairo freetype2 libcjson nettle zlib 2>/dev/null) -lgsl \
            $(shell pkg-config --libs openblas 2>/dev/null) -lhpdf -lpthread -lm

SRC      := $(sort $(wildcard src/*/*.c))
OBJ      := $(SRC:%.c=build/%.o)
TEST_SRC := $(sort $(wildcard tests/*.c))
TEST_OBJ := $(TEST_SRC:%.c=build/%.o)

# `make test-sanitize`: the same sources with AddressSanitizer and
# UndefinedBehaviorSanitizer, in their own build folder.
SAN          := build/san
SAN_FLAGS    := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
                -fno-sanitize-recover=undefined
SAN_OBJ      := $(SRC:%.c=$(SAN)/%.o)
SAN_TEST_OBJ := $(TEST_SRC:%.c=$(SAN)/%.o)

EXAMPLE_GEN := build/gen_showcase
SHOWCASE    := examples/showcase/caches/.stamp
TINYLM_GEN  := build/gen_tinylm
TINYLM      := examples/tinylm/caches/.stamp

.PHONY: all deps run test test-sanitize valgrind bench fuzz install clean examples
all: qaudit

deps:
	@sh scripts/install-deps.sh

build/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

qaudit: build/src/main.o $(OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

build/qaudit_tests: $(TEST_OBJ) $(OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(SAN)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -MMD -MP -c $< -o $@

$(SAN)/qaudit: $(SAN)/src/main.o $(SAN_OBJ)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ $(LDLIBS)

$(SAN)/qaudit_tests: $(SAN_TEST_OBJ) $(SAN_OBJ)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ $(LDLIBS)

$(EXAMPLE_GEN): examples/showcase/gen_showcase.c
	@mkdir -p build
	$(CC) $(CFLAGS) -o $@ $< $(LDLIBS)

$(SHOWCASE): $(EXAMPLE_GEN)
	@mkdir -p examples/showcase/caches
	$(EXAMPLE_GEN) examples/showcase/caches
	@touch $@

# tinylm: a trained byte-level LM (examples/tinylm/README.md); links hdf5 and libm only.
$(TINYLM_GEN): examples/tinylm/gen_tinylm.c
	@mkdir -p build
	$(CC) $(CFLAGS) -o $@ $< $(shell pkg-config --libs hdf5 2>/dev/null) -lm

$(TINYLM): $(TINYLM_GEN) examples/tinylm/tinylm.bin examples/tinylm/eval/manifest.tsv
	@mkdir -p examples/tinylm/caches
	$(TINYLM_GEN) examples/tinylm examples/tinylm/caches
	@touch $@

examples: $(SHOWCASE) $(TINYLM)

run:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory qaudit examples
	./qaudit report examples/showcase/config.json -o out
	./qaudit report examples/digits/config.json -o out/digits
	./qaudit report examples/tr125/config.json -o out/tr125
	./qaudit report examples/tinylm/config.json -o out/tinylm
	@echo "qaudit: wrote out/report.pdf and out/report.json (showcase), out/digits/, out/tr125/ and out/tinylm/"

# make test also installs what the Python writer's tests need (install-deps.sh test).
test:
	@sh scripts/install-deps.sh test
	@$(MAKE) --no-print-directory -j$$(nproc) qaudit build/qaudit_tests $(SAN)/qaudit $(SAN)/qaudit_tests examples
	@sh tests/run-all.sh

build/bench_repr: build/bench/bench_repr.o build/bench/floor.o $(OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

build/eigen_bench: build/bench/eigen_bench.o $(OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# Scaling with N (bench/run.sh section 5): the analysis on in-memory
# synthetic states, timed against the GEMM floor, drawn with src/plot.
build/bench_scaling: build/bench/bench_scaling.o build/bench/floor.o $(OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# Token-level benchmark (bench/run.sh section 4): the cache generator and
# the floor; the BLAS kernel comparison (docs/performance.md); standalone
# programs.
build/gen_tokens build/tokens_floor build/blas_kernels: build/%: bench/%.c
	@mkdir -p build
	$(CC) $(CFLAGS) -o $@ $< $(LDLIBS)

test-sanitize:
	@sh scripts/install-deps.sh test
	@$(MAKE) --no-print-directory $(SAN)/qaudit $(SAN)/qaudit_tests examples
	@sh tests/run-sanitize.sh

# valgrind on the showcase report: no errors, no definite leaks (minutes).
valgrind: qaudit examples
	@sh scripts/install-deps.sh valgrind
	valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
	  ./qaudit report examples/showcase/config.json -o build/valgrind-out --quiet --threads 1

# Fuzzing (libFuzzer, clang): FUZZ_SECONDS per harness, default 60.
fuzz:
	@sh scripts/fuzz.sh

bench:
	@sh scripts/install-deps.sh bench
	@$(MAKE) --no-print-directory qaudit build/bench_repr build/eigen_bench build/gen_tokens \
	  build/tokens_floor build/bench_scaling build/blas_kernels
	@sh bench/run.sh

install: qaudit
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(DATADIR)/fonts $(DESTDIR)$(DATADIR)/templates
	install -m 755 qaudit $(DESTDIR)$(PREFIX)/bin/qaudit
	install -m 644 fonts/* $(DESTDIR)$(DATADIR)/fonts/
	-install -m 644 templates/* $(DESTDIR)$(DATADIR)/templates/

clean:
	rm -rf build qaudit examples/showcase/caches examples/tinylm/caches
	find out -mindepth 1 ! -name .gitkeep -exec rm -rf {} +

build/src/main.o $(SAN)/src/main.o: CFLAGS += -DQA_DATADIR='"$(DATADIR)"'

-include $(OBJ:.o=.d) $(TEST_OBJ:.o=.d) build/src/main.d $(wildcard build/bench/*.d) $(wildcard $(SAN)/*/*.d $(SAN)/*/*/*.d)
