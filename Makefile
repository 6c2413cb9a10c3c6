# qaudit — one Makefile, top to bottom.
#   make          build ./qaudit
#   make run      install deps, build, write out/report.{pdf,json} from examples
#   make test     install deps, build, run every test ("N passed, N failed")
#   make bench    speed and memory benchmarks
#   make install PREFIX=/usr/local
#   make clean

PREFIX   ?= /usr/local
DATADIR  := $(PREFIX)/share/qaudit
CC       ?= cc
# Libraries with a .pc file come from pkg-config.  GSL's .pc links its own
# reference CBLAS (gslcblas); we link OpenBLAS in its place, so GSL's BLAS
# calls run on OpenBLAS.  libharu ships no .pc.
PKGS     := hdf5 gsl cairo freetype2 libcjson nettle openblas
OPT      ?= -O2 -g
CFLAGS   += -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(OPT) -Wall -Wextra \
            -Isrc $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS   += $(shell pkg-config --libs hdf5 cairo freetype2 libcjson nettle 2>/dev/null) -lgsl \
            $(shell pkg-config --libs openblas 2>/dev/null) -lhpdf -lpthread -lm

SRC      := $(sort $(wildcard src/*/*.c))
OBJ      := $(SRC:%.c=build/%.o)
TEST_SRC := $(sort $(wildcard tests/*.c))
TEST_OBJ := $(TEST_SRC:%.c=build/%.o)

EXAMPLE_GEN := build/gen_showcase
SHOWCASE    := examples/showcase/caches/.stamp

.PHONY: all deps run test bench install clean examples
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

$(EXAMPLE_GEN): examples/showcase/gen_showcase.c
	@mkdir -p build
	$(CC) $(CFLAGS) -o $@ $< $(LDLIBS)

$(SHOWCASE): $(EXAMPLE_GEN)
	@mkdir -p examples/showcase/caches
	$(EXAMPLE_GEN) examples/showcase/caches
	@touch $@

examples: $(SHOWCASE)

run:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory qaudit examples
	./qaudit report examples/showcase/config.json -o out
	./qaudit report examples/digits/config.json -o out/digits
	./qaudit report examples/tr125/config.json -o out/tr125
	@echo "qaudit: wrote out/report.pdf and out/report.json (showcase), out/digits/ and out/tr125/"

test:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory qaudit build/qaudit_tests examples
	@sh tests/run.sh

build/bench_repr: build/bench/bench_repr.o $(OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

build/eigen_bench: build/bench/eigen_bench.o $(OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

bench:
	@sh scripts/install-deps.sh bench
	@$(MAKE) --no-print-directory qaudit build/bench_repr build/eigen_bench
	@sh bench/run.sh

install: qaudit
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(DATADIR)/fonts $(DESTDIR)$(DATADIR)/templates
	install -m 755 qaudit $(DESTDIR)$(PREFIX)/bin/qaudit
	install -m 644 fonts/* $(DESTDIR)$(DATADIR)/fonts/
	-install -m 644 templates/* $(DESTDIR)$(DATADIR)/templates/

clean:
	rm -rf build qaudit examples/showcase/caches
	find out -mindepth 1 ! -name .gitkeep -exec rm -rf {} +

build/src/main.o: CFLAGS += -DQA_DATADIR='"$(DATADIR)"'

-include $(OBJ:.o=.d) $(TEST_OBJ:.o=.d) build/src/main.d
