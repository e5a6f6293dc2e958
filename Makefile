# 区域教学质量分析流水线 / district teaching-quality analysis pipeline
#
#   make report TERM=2023-2     全部步骤：清洗 → 数据质量检查 → 统计 → 全区报告 → 学校报告 → 索引
#   make test                   运行测试（先做代码检查 make lint）
#   make lab                    启动 JupyterLab，在项目环境中打开、运行各步骤的笔记本
#   make template TERM=2023-2   生成发给学校的空白报表模板
#   make sample-data            重新生成仓库自带的示例数据（逐格相同）
#   make docs                   依据报表字段定义重写 docs/raw-returns.md 中的字段表
#   make bench                  300 所学校的性能基准（写入 docs/performance.md 所需的数字）
#
# The DAG, one way:  data/raw/<T>  →  data/clean/<T>  →  data/checked/<T>  →  data/scores/<T>  →  outputs/<T>
# Every target below is a real file; a step re-runs only when one of its prerequisites changed.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
.SUFFIXES:

# TERM is also the terminal type in most shells' environments: only a TERM given on the command
# line (or in the environment as a term name) counts; otherwise take the newest term on disk.
TERMS_ON_DISK := $(sort $(notdir $(patsubst %/,%,$(wildcard data/raw/20??-?/))))
ifeq ($(origin TERM),environment)
  ifeq ($(shell echo '$(TERM)' | grep -E '^[0-9]{4}-[12]$$'),)
    TERM := $(lastword $(TERMS_ON_DISK))
  endif
endif
ifeq ($(origin TERM),undefined)
  TERM := $(lastword $(TERMS_ON_DISK))
endif
WORKERS ?= 2
# Independent steps run side by side (the earlier term's statistics beside this term's cleaning and
# checks; the district report beside the school reports). JOBS=1 runs them one after another.
# (Only the top-level make sets it: a recursive make shares its parent's job slots.)
# (getconf, not nproc: nproc obeys OMP_NUM_THREADS, which this Makefile sets to 1 for its recipes, so a make
# started from a recipe, as `make bench` does, would run everything one step at a time.)
JOBS ?= $(shell getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
ifeq ($(MAKELEVEL),0)
  MAKEFLAGS += --jobs=$(JOBS)
endif
SCHOOLS ?= 300
SEED ?= 2023

PY := .venv/bin/python
RUN := $(PY) -m tqa.run.runner
PIPE := $(PY) -m tqa.run.steps
export PYTHONHASHSEED := 0
# Tools that stamp dates use this fixed time, so outputs are byte-identical run to run.
export SOURCE_DATE_EPOCH := 946684800
export MPLBACKEND := Agg
# One BLAS thread: the same floating-point results on any number of cores (a threaded BLAS splits sums
# by core count, which changed last bits of the value-added fits), and no spinning BLAS threads beside
# the parallel steps.
export OPENBLAS_NUM_THREADS := 1
export OMP_NUM_THREADS := 1
export PYDEVD_DISABLE_FILE_VALIDATION := 1
export JUPYTER_PLATFORM_DIRS := 1

# Goals that need a valid TERM check it before anything else (one readable line on error).
TERM_GOALS := report clean checks scores district schools student-lists index template
ifneq ($(filter $(TERM_GOALS),$(or $(MAKECMDGOALS),report)),)
  TERM_ERROR := $(shell PYTHONPATH=src python3 -m tqa.core.terms '$(TERM)' 2>&1)
  ifneq ($(TERM_ERROR),)
    $(error $(TERM_ERROR))
  endif
endif

RAW := data/raw/$(TERM)
CLEAN := data/clean/$(TERM)
CHECKED := data/checked/$(TERM)
SCORES := data/scores/$(TERM)
OUT := outputs/$(TERM)
NB_OUT := $(OUT)/notebooks

# Which files are returns is decided in code (tqa.io.rawfiles), never by make's word lists: a file name with a
# space or a shell-special character ("005 - 副本.xlsx", $, ', &, #, %, :) would stop make before any step. The
# steps depend on one listing per term instead (every entry of data/raw/<T>/, office/ included, with its type,
# size and time), brought up to date below while make reads this file and rewritten only when it changed: adding,
# removing, renaming or re-sending a file re-runs cleaning, and nothing else does.
RAW_LISTING := .raw-files.json
RAW_FILES := $(CLEAN)/$(RAW_LISTING)
PARAM_FILES := params/methodology.yaml $(wildcard params/terms/$(TERM).yaml)
SUITES := $(sort $(wildcard checks/*.json))
ENV := .venv/.installed
SYSDEPS := .venv/.system-deps

# The DAG as data (tqa.run.dag, read with the system Python: no virtual environment needed): each step's code
# (its package and the earlier layers it may import: a chart edit re-renders the reports only, a cleaning edit
# re-runs everything) and each stage's tables (tqa.schema.tables: named in one place).
comma := ,
DAG := $(shell PYTHONPATH=src python3 -m tqa.run.dag makevars)
ifeq ($(DAG),)
  $(error 无法读取流水线的步骤定义（PYTHONPATH=src python3 -m tqa.run.dag makevars 失败），请检查 Python 3.11 是否可用)
endif
dag = $(subst $(comma), ,$(patsubst $(1)=%,%,$(filter $(1)=%,$(DAG))))
CLEAN_CODE := $(call dag,CLEAN_CODE)
CHECKS_CODE := $(call dag,CHECKS_CODE)
SCORES_CODE := $(call dag,SCORES_CODE)
REPORTS_CODE := $(call dag,REPORTS_CODE)
STUDENT_LISTS_CODE := $(call dag,STUDENT_LISTS_CODE)
CLEAN_FILES := $(foreach t,$(call dag,CLEAN_TABLES),$(CLEAN)/$(t).parquet) $(CLEAN)/inputs.json
CHECKED_FILES := $(foreach t,$(call dag,CHECKED_TABLES),$(CHECKED)/$(t).parquet) $(OUT)/data-quality.xlsx
# The data-quality list is written even when the checks stop the run: the office needs it most then.
.PRECIOUS: $(OUT)/data-quality.xlsx
SCORE_FILES := $(foreach t,$(call dag,SCORES_TABLES),$(SCORES)/$(t).parquet)

# Earlier terms on disk: value-added needs the previous term's checked scores, the trend every
# earlier term's statistics. Each is built by its own `make scores TERM=...` (a no-op when current).
PRIOR_TERMS := $(foreach t,$(TERMS_ON_DISK),$(if $(filter-out $(TERM),$(t)),$(if $(filter $(t),$(firstword $(sort $(t) $(TERM)))),$(t))))
PREV_TERM := $(lastword $(PRIOR_TERMS))
PRIOR_FILES := $(foreach t,$(PRIOR_TERMS),data/scores/$(t)/subject_stats.parquet)
# Last term's checked students: the checks follow each of them into this term's returns by 学籍号 (控辍保学,
# tqa.checks.reconcile), so this term's checks re-run when they change; built by `make checks TERM=...`.
PREV_CHECKED := $(if $(PREV_TERM),data/checked/$(PREV_TERM)/students.parquet)
ifneq ($(filter $(TERM_GOALS),$(or $(MAKECMDGOALS),report)),)
  RAW_STATUS := $(shell PYTHONPATH=src python3 -m tqa.run.dag raw $(foreach t,$(TERM) $(PRIOR_TERMS),--term $(t)) >&2 || echo failed)
  ifeq ($(RAW_STATUS),failed)
    $(error 无法列出 data/raw/ 下的文件（见上），运行未开始)
  endif
endif

# MODE=internal (default): ranks and student lists, for the office. MODE=public: bands instead of
# ranks, no student-level data, small cells suppressed, under outputs/<T>/public/.
MODE ?= internal
ifeq ($(MODE),internal)
  RDIR := $(OUT)
else ifeq ($(MODE),public)
  RDIR := $(OUT)/public
else
  $(error MODE=$(MODE) 不可用：MODE 只能是 internal（内部版，默认）或 public（公开版）)
endif
DISTRICT_FILES := $(RDIR)/district.html $(RDIR)/district.pdf
SCHOOLS_INDEX := $(RDIR)/schools/index.json
# Each school's student lists (<code>-学生名单.xlsx beside its report): the internal edition only.
STUDENT_LISTS_INDEX := $(OUT)/schools/student-lists.json
STUDENT_LISTS := $(if $(filter internal,$(MODE)),$(STUDENT_LISTS_INDEX))

.PHONY: report clean checks scores district schools student-lists index install test lint lab bench template sample-data docs clobber help
.DEFAULT_GOAL := report

# A real `make report` runs under the term's lock (tqa.run.lock, with the system Python: it works before the
# environment exists): a second `make report` of the same term stops with a message naming the running one;
# a killed run leaves no stale lock (flock dies with its process); while a run is under way or after it failed,
# index.html and manifest.json say that the outputs on disk come from an incomplete run. Dry runs (-n, -q, -t)
# and the locked make itself (TQA_LOCKED) build the goal directly.
RUN_FLAGS := $(filter-out -%,$(firstword $(MAKEFLAGS)))
ifeq ($(TQA_LOCKED)$(findstring n,$(RUN_FLAGS))$(findstring q,$(RUN_FLAGS))$(findstring t,$(RUN_FLAGS)),)
report:
	@PYTHONPATH=src python3 -m tqa.run.lock --term $(TERM) --mode $(MODE) --out $(OUT) --rdir $(RDIR) \
	  --office $(RAW)/office -- $(MAKE) --no-print-directory report TQA_LOCKED=1 TERM=$(TERM) MODE=$(MODE)
else
report: $(RDIR)/manifest.json
	@echo "==> 完成：$(RDIR)/index.html"
endif

clean: $(CLEAN_FILES)
checks: $(CHECKED_FILES)
scores: $(SCORE_FILES)
district: $(DISTRICT_FILES)
schools: $(SCHOOLS_INDEX) $(STUDENT_LISTS)
student-lists: $(STUDENT_LISTS)
	$(if $(STUDENT_LISTS),@true,@echo "公开版不含学生名单（MODE=public）：学生名单只随内部版生成")
index: $(RDIR)/index.html

# ---- environment: a virtual environment from the pinned lock, system fonts and libraries ----
install: $(ENV) $(SYSDEPS)

$(ENV): requirements.lock pyproject.toml
	@echo "==> 安装 Python 环境（.venv，依据 requirements.lock）"
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

# Debian packages: CJK fonts for charts and PDFs, Chromium's headless shell (prints the PDFs, tqa.reports.pdf), poppler-utils
# for the tests' pdftotext/pdffonts. Installed only when missing.
SYS_PACKAGES := fonts-noto-cjk fonts-dejavu-core chromium-headless-shell poppler-utils
$(SYSDEPS): | $(ENV)
	@missing=$$(for p in $(SYS_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "==> 安装系统依赖：$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "错误：缺少系统软件包 $$missing，请以 root 运行或先执行 sudo apt-get install $$missing" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  rm -rf $$HOME/.cache/matplotlib; \
	fi
	touch $@

# ---- params: validated before any step, one stamp per step ----
# Each step reads only the params sections it declares (tqa.run.dag, tqa.measures.catalog) and depends on a stamp
# holding their effective values, rewritten only when they change: a new pass threshold re-runs the statistics
# and the reports, not the cleaning of every return; a comment re-runs nothing. The params are validated and the
# stamps brought up to date while make reads this file (when params/ is newer than the last look,
# .params.checked), so an unknown, misspelt or missing key, a wrong type or an out-of-range value stops the run
# before its first step, with a message naming the file, the line and the key; `make -q` and `make -n` see the
# stamps as they are.
STAMP_MARK := $(CLEAN)/.params.checked
# (The earlier terms' stamps too: their statistics, rebuilt by a recursive make below, depend on them.)
STAMP_INPUTS := $(PARAM_FILES) $(foreach t,$(PRIOR_TERMS),$(wildcard params/terms/$(t).yaml)) \
  $(wildcard src/tqa/params/*.py) src/tqa/run/dag.py src/tqa/measures/catalog.py
STAMP_TERMS := $(foreach t,$(TERM) $(PRIOR_TERMS),--term $(t))
ifneq ($(filter $(TERM_GOALS),$(or $(MAKECMDGOALS),report)),)
  ifneq ($(wildcard $(PY)),)
    PARAMS_STATUS := $(shell if [ ! -e $(STAMP_MARK) ] || [ -n "$$(find $(STAMP_INPUTS) -newer $(STAMP_MARK) 2>/dev/null)" ]; \
      then $(PY) -m tqa.run.dag stamps $(STAMP_TERMS) --mark $(STAMP_MARK) >&2 || echo failed; fi)
    ifeq ($(PARAMS_STATUS),failed)
      $(error 评价参数有误（见上），运行未开始；请改正后重新运行)
    endif
  endif
endif
# First run (no virtual environment yet while make read this file): the same, once it exists.
data/clean/%/.params.json data/checked/%/.params.json data/scores/%/.params.json data/scores/%/.reports-params.json \
    data/scores/%/.student-lists-params.json: | $(ENV)
	$(PY) -m tqa.run.dag stamps --term $*

# The raw listing when make did not write it while reading this file (a goal outside TERM_GOALS asked for it).
data/clean/%/$(RAW_LISTING):
	PYTHONPATH=src python3 -m tqa.run.dag raw --term $*

# ---- step 1: clean ----
$(CLEAN_FILES) &: $(RAW_FILES) $(CLEAN)/.params.json notebooks/01_clean.ipynb $(CLEAN_CODE) $(ENV) | $(SYSDEPS)
	@echo "==> [1/6] 清洗原始报表：$(RAW)"
	$(RUN) notebooks/01_clean.ipynb $(NB_OUT)/01_clean.ipynb -p term $(TERM)

# ---- step 2: data-quality checks (Great Expectations suites in checks/) ----
$(CHECKED_FILES) &: $(CLEAN_FILES) $(PREV_CHECKED) $(SUITES) $(CHECKED)/.params.json notebooks/02_checks.ipynb $(CHECKS_CODE)
	@echo "==> [2/6] 数据质量检查：$(TERM)"
	$(RUN) notebooks/02_checks.ipynb $(NB_OUT)/02_checks.ipynb -p term $(TERM)

# ---- step 3: scores and ranks ----
$(SCORE_FILES) &: $(CHECKED_FILES) $(PRIOR_FILES) $(SCORES)/.params.json notebooks/03_scores.ipynb $(SCORES_CODE)
	@echo "==> [3/6] 统计与评价（一分三率、区间、增值、趋势）：$(TERM)"
	$(RUN) notebooks/03_scores.ipynb $(NB_OUT)/03_scores.ipynb -p term $(TERM)

# ---- step 4: district report ----
$(DISTRICT_FILES) &: $(SCORE_FILES) $(CHECKED_FILES) $(SCORES)/.reports-params.json notebooks/04_district_report.ipynb \
    $(REPORTS_CODE)
	@echo "==> [4/6] 全区报告"
	$(RUN) notebooks/04_district_report.ipynb $(NB_OUT)/$(MODE)/04_district_report.ipynb -p term $(TERM) \
	  -p mode $(MODE) --html $(RDIR)/district.html --pdf $(RDIR)/district.pdf

# ---- step 5: one report per school (parallel workers, one reused kernel each) ----
$(SCHOOLS_INDEX): $(SCORE_FILES) $(CHECKED_FILES) $(SCORES)/.reports-params.json notebooks/05_school_report.ipynb $(REPORTS_CODE)
	@echo "==> [5/6] 学校报告（$(WORKERS) 个并行进程）"
	$(PIPE) schools --term $(TERM) --mode $(MODE) --workers $(WORKERS)

# ---- step 5, beside the reports: each school's 临界生 and 学困生, class by class, in one Excel workbook ----
# (internal edition only; tqa.reports.student_workbook, all schools from one read of the tables)
$(STUDENT_LISTS_INDEX): $(SCORE_FILES) $(CHECKED_FILES) $(wildcard $(RAW)/office/exam_spec.csv) \
    $(SCORES)/.student-lists-params.json $(STUDENT_LISTS_CODE)
	@echo "==> [5/6] 学生名单（内部版，每校一份 Excel）"
	$(PIPE) student-lists --term $(TERM)

# ---- step 6: index and manifest ----
$(RDIR)/index.html: $(SCHOOLS_INDEX) $(STUDENT_LISTS) $(DISTRICT_FILES) $(CHECKED_FILES) $(REPORTS_CODE)
	@echo "==> [6/6] 索引页与清单"
	$(PIPE) index --term $(TERM) --mode $(MODE)

$(RDIR)/manifest.json: $(RDIR)/index.html $(STUDENT_LISTS) $(RAW_FILES) $(PARAM_FILES) $(REPORTS_CODE)
	$(PIPE) manifest --term $(TERM) --mode $(MODE)

# An earlier term's statistics, for the trend and value-added: rebuilt by a recursive make when that
# term's own inputs, params or code changed.
.SECONDEXPANSION:
# (It waits for that term's checks below when both are needed: two makes of one term never run side by side.)
data/scores/%/subject_stats.parquet: data/clean/$$*/$(RAW_LISTING) \
    data/clean/$$*/.params.json data/checked/$$*/.params.json data/scores/$$*/.params.json $(SUITES) $(CLEAN_CODE) $(CHECKS_CODE) $(SCORES_CODE) \
    notebooks/01_clean.ipynb notebooks/02_checks.ipynb notebooks/03_scores.ipynb \
    $$(filter data/checked/$$*/students.parquet,$(PREV_CHECKED)) | $(ENV) $(SYSDEPS)
	@echo "==> 先计算较早学期 $* 的统计（用于趋势与增值评价）"
	@$(MAKE) --no-print-directory scores TERM=$*

# Last term's checked students, for this term's cross-term reconciliation: rebuilt by a recursive make when that
# term's own inputs, params or code changed.
data/checked/%/students.parquet: data/clean/$$*/$(RAW_LISTING) \
    data/clean/$$*/.params.json data/checked/$$*/.params.json $(SUITES) $(CLEAN_CODE) $(CHECKS_CODE) \
    notebooks/01_clean.ipynb notebooks/02_checks.ipynb | $(ENV) $(SYSDEPS)
	@echo "==> 先检查上学期 $* 的数据（用于跨学期学籍核对）"
	@$(MAKE) --no-print-directory checks TERM=$*

# ---- other entry points ----
template: $(OUT)/template.xlsx
$(OUT)/template.xlsx: $(RAW)/office/exam_spec.csv $(wildcard $(RAW)/office/item_spec.csv) \
    $(shell find src/tqa -name '*.py' -not -path '*/__pycache__/*') | $(ENV)
	$(PY) -m tqa.devtools.template --term $(TERM) --out $@
	@echo "==> 空白报表模板：$@"

# docs/raw-returns.md's field tables, from the sheet specs (tests/devtools/test_docs.py fails when they are stale).
docs: | $(ENV)
	$(PY) -m tqa.devtools.docs

sample-data: | $(ENV)
	$(PY) -m tqa.devtools.sample --out data/raw --schools 40 --seed 2023 --terms 2023-1,2023-2 \
	  --defects-json tests/fixtures/sample_defects.json

# The tests, after the lint (ruff: the rules and the format in pyproject.toml).
test: lint $(ENV) $(SYSDEPS)
	$(PY) -m pytest -q

lint: $(ENV)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# JupyterLab on the project's environment, kernels in the project's root (tqa.devtools.lab). LAB_ARGS passes
# options through, e.g. make lab LAB_ARGS="--port=8890 --ip=0.0.0.0".
LAB_ARGS ?=
lab: $(ENV) $(SYSDEPS)
	$(PY) -m tqa.devtools.lab $(LAB_ARGS)

bench: $(ENV) $(SYSDEPS)
	$(PY) -m tqa.run.bench --schools $(SCHOOLS) --seed $(SEED) --workers $(WORKERS)

clobber:
	rm -rf data/clean/* data/checked data/scores outputs/*
	git checkout -- data/clean/.gitkeep outputs/.gitkeep 2>/dev/null || true

help:
	@sed -n '1,14p' Makefile
