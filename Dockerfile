# Descent Lab for a class: one image, one container, 30–50 students on a 2-core server.
#   docker build -t descent-lab .
#   docker run --rm -p 8501:8501 descent-lab        → http://<server>:8501
FROM python:3.11.14-slim-bookworm

# One BLAS thread per computation: with many students' reruns at once, BLAS's own threads only
# fight over the cores. No .pyc files, unbuffered logs. glibc's malloc keeps the memory of
# NumPy's large temporaries (a rerun makes hundreds of 1–30 MB arrays) instead of returning it
# and faulting it in again at the next rerun: allocations below 64 MB come from the heap, up
# to 128 MB of free heap is kept, in at most two arenas (the interpreter lock lets one thread
# allocate at a time anyway; an arena per session thread kept gigabytes). Every cached result
# of a process together is kept within DESCENT_LAB_CACHE_MB megabytes (ui/kept.py): a worker
# stays under ~0.5 GB however many students it serves.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    OPENBLAS_NUM_THREADS=1 \
    OMP_NUM_THREADS=1 \
    MALLOC_ARENA_MAX=2 \
    MALLOC_MMAP_THRESHOLD_=67108864 \
    MALLOC_TRIM_THRESHOLD_=134217728 \
    DESCENT_LAB_CACHE_MB=120

WORKDIR /app
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt

# Only what the app runs: no tests, benchmarks or docs in the image.
COPY app.py ./
COPY .streamlit/ .streamlit/
COPY engine/ engine/
COPY i18n/ i18n/
COPY figures/ figures/
COPY ui/ ui/
COPY pages/ pages/

RUN useradd --create-home --uid 10001 lab
USER lab

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"]
CMD ["streamlit", "run", "app.py", "--server.port=8501", "--server.address=0.0.0.0"]
