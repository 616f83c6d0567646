/*
 * rdkafka_anchor: the raw librdkafka anchor for `make bench` (issue 9).
 *
 * Measures, against a running broker (usually `concierge dev-broker`), what librdkafka itself does with the
 * producer settings our Swift wrapper (Shared/Messaging) uses, so the wrapper's figures have a yardstick.
 * `concierge bench-kafka` is the Swift twin: same arguments, same phases, same message shape, same JSON keys.
 *
 *   (a) produce   N messages flat out (pipelined: produce until QUEUE_FULL, then wait for delivery reports),
 *                 msgs/s from the first produce to the last delivery report, and process CPU seconds.
 *   (a') produce_batched   the same N in stop-and-wait batches of --batch (the outbox relay's pattern: send a
 *                 batch, wait for all its delivery reports, send the next).
 *   (b) latency.delivery_ms   at --rate msgs/s, produce → delivery report (acks=all), p50/p95/p99/p999/max.
 *   (c) latency.end_to_end_ms the same messages, produce → consumed by a consumer in this process
 *                 (fetch.wait.max.ms=10, as our services use against the mock broker).
 *   (b) and (c) are measured on the same messages; the first --warmup seconds (3) are discarded (metadata and
 *   leader discovery, the consumer's offset lookup; practice notes §4.3).
 *
 * Every message carries, in its first 24 bytes, a run id, a sequence number and its CLOCK_MONOTONIC send time
 * (native byte order), then filler up to --size; a key (one of --keys) and --headers CloudEvents-like headers
 * (the relay sends 5). One JSON object goes to stdout, progress to stderr.
 *
 * Threads mirror the wrapper: the producer's delivery reports are served by a dedicated thread looping
 * rd_kafka_poll(100 ms) (the wrapper's poll queue); the consumer polls batches of up to 500 on its own thread
 * (first record waits up to 100 ms, the rest 0 ms) and stores offsets after each batch.
 *
 * Build: bench/anchors/build.sh (cc -O2 … -lrdkafka -lpthread) → .build/bench/rdkafka-anchor
 * Run:   .build/bench/rdkafka-anchor --brokers "$(cat <address file of concierge dev-broker>)" > raw.json
 *        (see bench/anchors/README.md for all options and the JSON keys)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define HEADER_BYTES 24
#define MAX_PROPERTIES 64
#define CONSUMER_BATCH 500

/* ---------------------------------------------------------------- options */

struct options {
    const char *brokers;
    const char *topic;
    long messages;
    int size;
    double rate;
    double seconds;
    double warmup;
    int batch;
    int headers;
    int keys;
    int fetch_wait_max_ms;
    int throughput;
    int latency;
    const char *properties[MAX_PROPERTIES][2];
    int property_count;
};

static struct options opt = {
    .brokers = NULL,
    .topic = "bench.anchor.kafka",
    .messages = 200000,
    .size = 300,
    .rate = 1000,
    .seconds = 10,
    .warmup = 3,
    .batch = 500,
    .headers = 5,
    .keys = 1000,
    .fetch_wait_max_ms = 10,
    .throughput = 1,
    .latency = 1,
};

static void usage(FILE *out) {
    fprintf(out,
            "usage: rdkafka-anchor --brokers HOST:PORT[,…] [--topic T] [--messages N] [--size BYTES]\n"
            "                      [--rate MSGS_PER_S] [--seconds S] [--warmup S] [--batch N] [--headers N] [--keys N]\n"
            "                      [--fetch-wait-max-ms MS] [-X property=value]…\n"
            "                      [--skip-throughput] [--skip-latency]\n"
            "Prints one JSON object on stdout; progress on stderr.\n");
}

static void die(const char *format, ...) {
    va_list args;
    va_start(args, format);
    fputs("rdkafka-anchor: ", stderr);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    exit(1);
}

static void progress(const char *format, ...) {
    va_list args;
    va_start(args, format);
    fputs("rdkafka-anchor: ", stderr);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
}

static double parse_number(const char *name, const char *text, double min) {
    char *end = NULL;
    errno = 0;
    double value = strtod(text, &end);
    if (errno || end == text || *end != '\0' || !(value >= min))
        die("%s must be a number ≥ %g, got \"%s\"", name, min, text);
    return value;
}

static void parse_options(int argc, char **argv) {
    enum { BROKERS = 256, TOPIC, MESSAGES, SIZE, RATE, SECONDS, WARMUP, BATCH, HEADERS, KEYS, FETCHWAIT, SKIPT, SKIPL };
    static const struct option longs[] = {
        {"brokers", required_argument, NULL, BROKERS},
        {"topic", required_argument, NULL, TOPIC},
        {"messages", required_argument, NULL, MESSAGES},
        {"size", required_argument, NULL, SIZE},
        {"rate", required_argument, NULL, RATE},
        {"seconds", required_argument, NULL, SECONDS},
        {"warmup", required_argument, NULL, WARMUP},
        {"batch", required_argument, NULL, BATCH},
        {"headers", required_argument, NULL, HEADERS},
        {"keys", required_argument, NULL, KEYS},
        {"fetch-wait-max-ms", required_argument, NULL, FETCHWAIT},
        {"skip-throughput", no_argument, NULL, SKIPT},
        {"skip-latency", no_argument, NULL, SKIPL},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "X:h", longs, NULL)) != -1) {
        switch (c) {
        case BROKERS: opt.brokers = optarg; break;
        case TOPIC: opt.topic = optarg; break;
        case MESSAGES: opt.messages = (long)parse_number("--messages", optarg, 1); break;
        case SIZE: opt.size = (int)parse_number("--size", optarg, HEADER_BYTES); break;
        case RATE: opt.rate = parse_number("--rate", optarg, 1); break;
        case SECONDS: opt.seconds = parse_number("--seconds", optarg, 1); break;
        case WARMUP: opt.warmup = parse_number("--warmup", optarg, 0); break;
        case BATCH: opt.batch = (int)parse_number("--batch", optarg, 1); break;
        case HEADERS: opt.headers = (int)parse_number("--headers", optarg, 0); break;
        case KEYS: opt.keys = (int)parse_number("--keys", optarg, 0); break;
        case FETCHWAIT: opt.fetch_wait_max_ms = (int)parse_number("--fetch-wait-max-ms", optarg, 0); break;
        case SKIPT: opt.throughput = 0; break;
        case SKIPL: opt.latency = 0; break;
        case 'X': {
            char *equals = strchr(optarg, '=');
            if (!equals || equals == optarg) die("-X expects property=value, got \"%s\"", optarg);
            if (opt.property_count == MAX_PROPERTIES) die("too many -X properties");
            *equals = '\0';
            opt.properties[opt.property_count][0] = optarg;
            opt.properties[opt.property_count][1] = equals + 1;
            opt.property_count++;
            break;
        }
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); exit(2);
        }
    }
    if (optind < argc) { usage(stderr); exit(2); }
    if (!opt.brokers) opt.brokers = getenv("KAFKA_BROKERS");
    if (!opt.brokers) die("give --brokers (or set KAFKA_BROKERS)");
    if (opt.headers > 5) die("--headers is at most 5 (the relay's CloudEvents headers)");
}

/* ---------------------------------------------------------------- clocks and CPU */

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t deadline_ns) {
    struct timespec ts = {.tv_sec = (time_t)(deadline_ns / 1000000000u), .tv_nsec = (long)(deadline_ns % 1000000000u)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {}
}

struct cpu { double user, sys; };

static struct cpu cpu_now(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return (struct cpu){
        usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6,
        usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6,
    };
}

static double peak_rss_mb(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss / 1024.0;
}

/* ---------------------------------------------------------------- shared state */

static uint64_t run_id;

/* Delivery reports: counted under `dr_lock` so a stop-and-wait batch or a QUEUE_FULL wait can sleep on `dr_cond`. */
static pthread_mutex_t dr_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t dr_cond = PTHREAD_COND_INITIALIZER;
static uint64_t dr_count;          /* guarded by dr_lock */
static uint64_t dr_errors;         /* guarded by dr_lock */
static char dr_first_error[256];   /* guarded by dr_lock */
static uint64_t dr_last_ns;        /* guarded by dr_lock */

/* Latency phase: samples (ns) indexed by seq - latency_first, each written once by the DR thread / the consumer
 * thread; allocated before the producer starts and read after those threads are done. -1 = not (yet) seen. */
static int64_t *delivery_ns;
static int64_t *end_to_end_ns;
static uint64_t latency_first = UINT64_MAX;
static long latency_total, latency_warm;
static atomic_long consumed_measured;
static atomic_long consumed_foreign;
static atomic_int consumer_assigned;
static atomic_int stop_consumer;
static atomic_int stop_poller;

/* ---------------------------------------------------------------- messages */

static const char *header_names[5] = {"ce_specversion", "ce_id", "ce_type", "ce_source", "content-type"};

struct message {
    unsigned char *payload;
    char key[32];
    size_t key_len;
    char ce_id[40];
};

static void message_init(struct message *m) {
    m->payload = malloc((size_t)opt.size);
    if (!m->payload) die("out of memory");
    memset(m->payload, 'x', (size_t)opt.size);
    memcpy(m->payload, &run_id, 8);
}

/* Stamps sequence and send time; returns the send time. */
static uint64_t message_stamp(struct message *m, uint64_t seq) {
    memcpy(m->payload + 8, &seq, 8);
    if (opt.keys > 0)
        m->key_len = (size_t)snprintf(m->key, sizeof m->key, "customer-%06" PRIu64, seq % (uint64_t)opt.keys);
    else
        m->key_len = 0;
    snprintf(m->ce_id, sizeof m->ce_id, "00000000-0000-4000-8000-%012" PRIx64, seq);
    uint64_t t = now_ns();
    memcpy(m->payload + 16, &t, 8);
    return t;
}

/* rd_kafka_produceva with copied key and value and a fresh header list, exactly as KafkaProducer.produce does. */
static rd_kafka_resp_err_t produce(rd_kafka_t *rk, const struct message *m) {
    rd_kafka_headers_t *headers = NULL;
    if (opt.headers > 0) {
        const char *values[5] = {"1.0", m->ce_id, "bench.anchor.sent", "bench-anchor", "application/cloudevents+json"};
        headers = rd_kafka_headers_new((size_t)opt.headers);
        for (int i = 0; i < opt.headers; i++)
            rd_kafka_header_add(headers, header_names[i], -1, values[i], (ssize_t)strlen(values[i]));
    }
    rd_kafka_vu_t args[6];
    int n = 0;
    args[n].vtype = RD_KAFKA_VTYPE_TOPIC; args[n++].u.cstr = opt.topic;
    args[n].vtype = RD_KAFKA_VTYPE_VALUE; args[n].u.mem.ptr = m->payload; args[n++].u.mem.size = (size_t)opt.size;
    args[n].vtype = RD_KAFKA_VTYPE_KEY; args[n].u.mem.ptr = m->key_len ? (void *)m->key : NULL;
    args[n++].u.mem.size = m->key_len;
    args[n].vtype = RD_KAFKA_VTYPE_MSGFLAGS; args[n++].u.i = RD_KAFKA_MSG_F_COPY;
    args[n].vtype = RD_KAFKA_VTYPE_OPAQUE; args[n++].u.ptr = NULL;
    if (headers) { args[n].vtype = RD_KAFKA_VTYPE_HEADERS; args[n++].u.headers = headers; }
    rd_kafka_error_t *error = rd_kafka_produceva(rk, args, (size_t)n);
    if (!error) return RD_KAFKA_RESP_ERR_NO_ERROR;
    rd_kafka_resp_err_t code = rd_kafka_error_code(error);
    rd_kafka_error_destroy(error);
    if (headers) rd_kafka_headers_destroy(headers); /* ownership passes to librdkafka only on success */
    return code;
}

static int payload_fields(const void *payload, size_t len, uint64_t *seq, uint64_t *sent) {
    if (!payload || len < HEADER_BYTES) return 0;
    uint64_t id;
    memcpy(&id, payload, 8);
    if (id != run_id) return 0;
    memcpy(seq, (const char *)payload + 8, 8);
    memcpy(sent, (const char *)payload + 16, 8);
    return 1;
}

/* ---------------------------------------------------------------- producer */

static void dr_callback(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk; (void)opaque;
    uint64_t t = now_ns();
    uint64_t seq, sent;
    if (!m->err && payload_fields(m->payload, m->len, &seq, &sent) && seq >= latency_first &&
        seq - latency_first < (uint64_t)latency_total)
        delivery_ns[seq - latency_first] = (int64_t)(t - sent);
    pthread_mutex_lock(&dr_lock);
    dr_count++;
    dr_last_ns = t;
    if (m->err) {
        if (dr_errors++ == 0) snprintf(dr_first_error, sizeof dr_first_error, "%s", rd_kafka_err2name(m->err));
    }
    pthread_cond_broadcast(&dr_cond);
    pthread_mutex_unlock(&dr_lock);
}

static uint64_t delivered(void) {
    pthread_mutex_lock(&dr_lock);
    uint64_t n = dr_count;
    pthread_mutex_unlock(&dr_lock);
    return n;
}

/* Sleeps until at least `target` delivery reports were served, or (target = 0) until the count moves past `seen`. */
static void wait_for_reports(uint64_t target, uint64_t seen) {
    pthread_mutex_lock(&dr_lock);
    while (target ? dr_count < target : dr_count == seen) pthread_cond_wait(&dr_cond, &dr_lock);
    pthread_mutex_unlock(&dr_lock);
}

static void *poll_thread(void *arg) {
    rd_kafka_t *rk = arg;
    while (!atomic_load(&stop_poller)) rd_kafka_poll(rk, 100);
    return NULL;
}

static void set(rd_kafka_conf_t *conf, const char *key, const char *value) {
    char error[512];
    if (rd_kafka_conf_set(conf, key, value, error, sizeof error) != RD_KAFKA_CONF_OK)
        die("property %s=%s: %s", key, value, error);
}

static rd_kafka_t *make_producer(void) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    /* KafkaConfiguration.producerDefaults, then the caller's properties, then the wrapper's forced settings. */
    set(conf, "linger.ms", "5");
    set(conf, "partitioner", "murmur2_random");
    for (int i = 0; i < opt.property_count; i++) set(conf, opt.properties[i][0], opt.properties[i][1]);
    set(conf, "bootstrap.servers", opt.brokers);
    set(conf, "client.id", "rdkafka-anchor");
    set(conf, "enable.idempotence", "true");
    set(conf, "acks", "all");
    rd_kafka_conf_set_dr_msg_cb(conf, dr_callback);
    char error[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
    if (!rk) die("rd_kafka_new(producer): %s", error); /* conf is ours again on failure; we exit anyway */
    return rk;
}

static const char *effective(rd_kafka_t *rk, const char *key, char *buffer, size_t size) {
    size_t n = size;
    if (rd_kafka_conf_get(rd_kafka_conf(rk), key, buffer, &n) != RD_KAFKA_CONF_OK) snprintf(buffer, size, "?");
    return buffer;
}

/* Partition count from metadata; on the mock, the first metadata request for an unknown topic creates it. */
static int partition_count(rd_kafka_t *rk) {
    rd_kafka_topic_t *topic = rd_kafka_topic_new(rk, opt.topic, NULL);
    int count = -1;
    uint64_t deadline = now_ns() + 10000000000u;
    while (count <= 0 && now_ns() < deadline) {
        const struct rd_kafka_metadata *metadata = NULL;
        if (rd_kafka_metadata(rk, 0, topic, &metadata, 2000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (metadata->topic_cnt == 1 && !metadata->topics[0].err) count = metadata->topics[0].partition_cnt;
            rd_kafka_metadata_destroy(metadata);
        }
        if (count <= 0) usleep(100000);
    }
    rd_kafka_topic_destroy(topic);
    if (count <= 0) die("topic %s has no metadata after 10 s (is the broker at %s running?)", opt.topic, opt.brokers);
    return count;
}

/* Produces seq [first, first+count) as fast as the queue allows, waiting for delivery reports on QUEUE_FULL. */
static void produce_range(rd_kafka_t *rk, struct message *m, uint64_t first, uint64_t count) {
    for (uint64_t seq = first; seq < first + count; seq++) {
        message_stamp(m, seq);
        for (;;) {
            rd_kafka_resp_err_t err = produce(rk, m);
            if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) die("produce failed: %s", rd_kafka_err2name(err));
            /* The queue is full, so reports are on their way: wait for the next one, then try again. */
            wait_for_reports(0, delivered());
        }
    }
}

struct throughput {
    const char *mode;
    long messages;
    int batch;
    double seconds, enqueue_seconds;
    struct cpu cpu;
    uint64_t errors;
};

static void print_throughput(const char *name, const struct throughput *t) {
    double cpu = t->cpu.user + t->cpu.sys;
    printf("\"%s\":{\"mode\":\"%s\",\"messages\":%ld,", name, t->mode, t->messages);
    if (t->batch) printf("\"batch\":%d,", t->batch);
    printf("\"seconds\":%.4f,\"msgs_per_s\":%.0f,\"enqueue_msgs_per_s\":%.0f,\"mb_per_s\":%.2f,"
           "\"cpu_s\":%.3f,\"cpu_user_s\":%.3f,\"cpu_sys_s\":%.3f,\"msgs_per_cpu_s\":%.0f,\"errors\":%" PRIu64 "}",
           t->seconds, t->messages / t->seconds, t->messages / t->enqueue_seconds,
           t->messages * (double)opt.size / t->seconds / 1e6, cpu, t->cpu.user, t->cpu.sys,
           cpu > 0 ? t->messages / cpu : 0.0, t->errors);
}

static struct throughput measure_throughput(rd_kafka_t *rk, struct message *m, uint64_t *next_seq, int batch) {
    struct throughput t = {
        .mode = batch ? "stop-and-wait batches" : "pipelined", .messages = opt.messages, .batch = batch};
    uint64_t errors_before;
    pthread_mutex_lock(&dr_lock);
    uint64_t base = dr_count;
    errors_before = dr_errors;
    pthread_mutex_unlock(&dr_lock);
    struct cpu c0 = cpu_now();
    uint64_t t0 = now_ns();
    uint64_t enqueued_at;
    if (!batch) {
        produce_range(rk, m, *next_seq, (uint64_t)opt.messages);
        enqueued_at = now_ns();
        wait_for_reports(base + (uint64_t)opt.messages, 0);
    } else {
        uint64_t enqueue_ns = 0;
        for (long done = 0; done < opt.messages; done += batch) {
            uint64_t n = (uint64_t)(opt.messages - done < batch ? opt.messages - done : batch);
            uint64_t e0 = now_ns();
            produce_range(rk, m, *next_seq + (uint64_t)done, n);
            enqueue_ns += now_ns() - e0;
            wait_for_reports(base + (uint64_t)done + n, 0);
        }
        enqueued_at = t0 + enqueue_ns;
    }
    pthread_mutex_lock(&dr_lock);
    uint64_t t1 = dr_last_ns;
    t.errors = dr_errors - errors_before;
    pthread_mutex_unlock(&dr_lock);
    struct cpu c1 = cpu_now();
    *next_seq += (uint64_t)opt.messages;
    t.seconds = (t1 - t0) / 1e9;
    t.enqueue_seconds = (enqueued_at - t0) / 1e9;
    t.cpu = (struct cpu){c1.user - c0.user, c1.sys - c0.sys};
    return t;
}

/* ---------------------------------------------------------------- consumer */

static rd_kafka_t *make_consumer(void) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char group[96], wait[32];
    snprintf(group, sizeof group, "rdkafka-anchor-%016" PRIx64, run_id);
    snprintf(wait, sizeof wait, "%d", opt.fetch_wait_max_ms);
    /* KafkaConfiguration.consumerDefaults and forced settings, plus what the anchor needs. */
    set(conf, "enable.auto.commit", "true");
    set(conf, "auto.commit.interval.ms", "1000");
    set(conf, "partition.assignment.strategy", "range,roundrobin");
    set(conf, "auto.offset.reset", "latest"); /* only this run's messages */
    set(conf, "fetch.wait.max.ms", wait);
    set(conf, "bootstrap.servers", opt.brokers);
    set(conf, "client.id", "rdkafka-anchor");
    set(conf, "group.id", group);
    set(conf, "enable.auto.offset.store", "false");
    char error[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
    if (!rk) die("rd_kafka_new(consumer): %s", error);
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, opt.topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (err) die("subscribe: %s", rd_kafka_err2name(err));
    return rk;
}

/* Polls batches like KafkaConsumer.poll(maxRecords: 500, timeout: 100 ms): the records of a batch are stamped
 * when the batch is complete (when the service's handler would see them), then offsets are stored. */
static void *consumer_thread(void *arg) {
    rd_kafka_t *rk = arg;
    rd_kafka_message_t *batch[CONSUMER_BATCH];
    while (!atomic_load(&stop_consumer)) {
        int n = 0;
        uint64_t deadline = now_ns() + 100000000u;
        while (n < CONSUMER_BATCH) {
            int wait = 0;
            if (n == 0) {
                uint64_t t = now_ns();
                if (t >= deadline) break;
                wait = (int)((deadline - t + 999999) / 1000000);
            }
            rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, wait);
            if (!m) { if (n == 0) continue; break; }
            if (m->err) {
                if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) progress("consumer: %s", rd_kafka_message_errstr(m));
                rd_kafka_message_destroy(m);
                continue;
            }
            batch[n++] = m;
        }
        if (!atomic_load(&consumer_assigned)) {
            rd_kafka_topic_partition_list_t *assignment = NULL;
            if (!rd_kafka_assignment(rk, &assignment) && assignment) {
                if (assignment->cnt > 0) atomic_store(&consumer_assigned, 1);
                rd_kafka_topic_partition_list_destroy(assignment);
            }
        }
        if (n == 0) continue;
        uint64_t t = now_ns();
        rd_kafka_topic_partition_list_t *offsets = rd_kafka_topic_partition_list_new(n);
        for (int i = 0; i < n; i++) {
            rd_kafka_message_t *m = batch[i];
            uint64_t seq, sent;
            if (payload_fields(m->payload, m->len, &seq, &sent) && seq >= latency_first &&
                seq - latency_first < (uint64_t)latency_total) {
                end_to_end_ns[seq - latency_first] = (int64_t)(t - sent);
                if ((long)(seq - latency_first) >= latency_warm) atomic_fetch_add(&consumed_measured, 1);
            } else {
                atomic_fetch_add(&consumed_foreign, 1);
            }
            rd_kafka_topic_partition_t *p =
                rd_kafka_topic_partition_list_find(offsets, rd_kafka_topic_name(m->rkt), m->partition);
            if (!p) p = rd_kafka_topic_partition_list_add(offsets, rd_kafka_topic_name(m->rkt), m->partition);
            if (m->offset + 1 > p->offset) p->offset = m->offset + 1;
            rd_kafka_message_destroy(m);
        }
        rd_kafka_offsets_store(rk, offsets);
        rd_kafka_topic_partition_list_destroy(offsets);
    }
    return NULL;
}

/* ---------------------------------------------------------------- latency */

static int compare_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The nearest-rank percentile of n sorted samples, in ms. */
static double percentile_ms(const int64_t *sorted, long n, double q) {
    if (n == 0) return 0;
    double exact = q * (double)n;
    long rank = (long)exact;
    if ((double)rank < exact) rank++; /* ceil without libm */
    return sorted[rank < 1 ? 0 : rank - 1] / 1e6;
}

/* Prints "name":{"count":…,"missing":…,"mean":…,"p50":…,…} in ms over samples[first, last) that are ≥ 0. */
static void print_percentiles(const char *name, const int64_t *samples, long first, long last) {
    int64_t *sorted = malloc(sizeof(int64_t) * (size_t)(last - first + 1));
    long n = 0;
    double sum = 0;
    for (long i = first; i < last; i++)
        if (samples[i] >= 0) { sorted[n++] = samples[i]; sum += (double)samples[i]; }
    qsort(sorted, (size_t)n, sizeof(int64_t), compare_i64);
    printf("\"%s\":{\"count\":%ld,\"missing\":%ld,\"mean\":%.3f,\"p50\":%.3f,\"p95\":%.3f,\"p99\":%.3f,"
           "\"p999\":%.3f,\"max\":%.3f}",
           name, n, (last - first) - n, n ? sum / (double)n / 1e6 : 0.0, percentile_ms(sorted, n, 0.50),
           percentile_ms(sorted, n, 0.95), percentile_ms(sorted, n, 0.99), percentile_ms(sorted, n, 0.999),
           percentile_ms(sorted, n, 1.0));
    free(sorted);
}

struct latency_run {
    double schedule_lag_max_ms;
    double seconds;
    struct cpu cpu;
    long foreign;
    int consumer_ready_ms;
};

/* Sequence numbers latency_first … latency_first + latency_total - 1, paced at --rate. */
static struct latency_run measure_latency(rd_kafka_t *producer, struct message *m) {
    struct latency_run r = {0};
    rd_kafka_t *consumer = make_consumer();
    pthread_t thread;
    pthread_create(&thread, NULL, consumer_thread, consumer);
    uint64_t wait0 = now_ns();
    while (!atomic_load(&consumer_assigned)) {
        if (now_ns() - wait0 > 30000000000u) die("the consumer got no assignment within 30 s");
        usleep(10000);
    }
    r.consumer_ready_ms = (int)((now_ns() - wait0) / 1000000);
    progress("latency: consumer assigned after %d ms; %ld msgs at %.0f/s (first %.0f s discarded)",
             r.consumer_ready_ms, latency_total, opt.rate, opt.warmup);

    uint64_t reports_before = delivered();
    struct cpu c0 = cpu_now();
    uint64_t t0 = now_ns();
    double lag_max = 0;
    long sent = 0;
    while (sent < latency_total) {
        uint64_t t = now_ns();
        long due = (long)((double)(t - t0) / 1e9 * opt.rate) + 1;
        if (due > latency_total) due = latency_total;
        double lag = (double)(t - t0) / 1e6 - (double)sent / opt.rate * 1e3;
        if (sent < due && lag > lag_max) lag_max = lag;
        for (; sent < due; sent++) {
            message_stamp(m, latency_first + (uint64_t)sent);
            for (;;) {
                rd_kafka_resp_err_t err = produce(producer, m);
                if (!err) break;
                if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) die("produce failed: %s", rd_kafka_err2name(err));
                wait_for_reports(0, delivered());
            }
        }
        sleep_until(t0 + (uint64_t)((double)sent / opt.rate * 1e9));
    }
    r.seconds = (double)(now_ns() - t0) / 1e9;
    wait_for_reports(reports_before + (uint64_t)latency_total, 0);
    uint64_t drained = now_ns();
    long measured = latency_total - latency_warm;
    while (atomic_load(&consumed_measured) < measured && now_ns() - drained < 5000000000u) usleep(5000);
    struct cpu c1 = cpu_now();
    atomic_store(&stop_consumer, 1);
    pthread_join(thread, NULL);
    rd_kafka_consumer_close(consumer);
    rd_kafka_destroy(consumer);
    r.schedule_lag_max_ms = lag_max;
    r.cpu = (struct cpu){c1.user - c0.user, c1.sys - c0.sys};
    r.foreign = atomic_load(&consumed_foreign);
    return r;
}

/* ---------------------------------------------------------------- main */

static void json_string(const char *s) {
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20) printf("\\u%04x", *s);
        else putchar(*s);
    }
    putchar('"');
}

int main(int argc, char **argv) {
    parse_options(argc, argv);
    run_id = now_ns() ^ ((uint64_t)getpid() << 40);
    if (run_id == 0) run_id = 1;
    const uint64_t warmup_messages = 2000;
    if (opt.latency) {
        /* Sequence numbers: warm-up, then both throughput phases, then the latency phase. */
        latency_first = warmup_messages + (opt.throughput ? 2 * (uint64_t)opt.messages : 0);
        latency_total = (long)(opt.rate * (opt.warmup + opt.seconds) + 0.5);
        latency_warm = (long)(opt.rate * opt.warmup + 0.5);
        delivery_ns = malloc(sizeof(int64_t) * (size_t)latency_total);
        end_to_end_ns = malloc(sizeof(int64_t) * (size_t)latency_total);
        if (!delivery_ns || !end_to_end_ns) die("out of memory");
        for (long i = 0; i < latency_total; i++) delivery_ns[i] = end_to_end_ns[i] = -1;
    }

    rd_kafka_t *producer = make_producer();
    pthread_t poller;
    pthread_create(&poller, NULL, poll_thread, producer);
    int partitions = partition_count(producer);

    struct message m;
    message_init(&m);
    uint64_t next_seq = 0;

    /* Warm-up, not timed: connections to every partition leader, producer id (idempotence). */
    uint64_t base = delivered();
    produce_range(producer, &m, next_seq, warmup_messages);
    next_seq += warmup_messages;
    wait_for_reports(base + warmup_messages, 0);

    struct throughput pipelined = {0}, batched = {0};
    if (opt.throughput) {
        progress("produce: %ld × %d B flat out", opt.messages, opt.size);
        pipelined = measure_throughput(producer, &m, &next_seq, 0);
        progress("produce: %.0f msgs/s, %.2f CPU s", opt.messages / pipelined.seconds,
                 pipelined.cpu.user + pipelined.cpu.sys);
        progress("produce_batched: %ld in stop-and-wait batches of %d", opt.messages, opt.batch);
        batched = measure_throughput(producer, &m, &next_seq, opt.batch);
        progress("produce_batched: %.0f msgs/s", opt.messages / batched.seconds);
    }
    struct latency_run latency = {0};
    if (opt.latency) latency = measure_latency(producer, &m);

    char value[256];
    printf("{\"tool\":\"rdkafka-anchor\",\"client\":\"librdkafka (C)\",\"librdkafka_version\":");
    json_string(rd_kafka_version_str());
    printf(",\"brokers\":");
    json_string(opt.brokers);
    printf(",\"topic\":");
    json_string(opt.topic);
    printf(",\"partitions\":%d,\"settings\":{", partitions);
    const char *keys[] = {"acks", "enable.idempotence", "linger.ms", "compression.codec", "partitioner",
                          "batch.num.messages", "batch.size", "queue.buffering.max.messages",
                          "queue.buffering.max.kbytes", "max.in.flight.requests.per.connection", "message.timeout.ms",
                          "sticky.partitioning.linger.ms"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        printf("%s", i ? "," : "");
        json_string(keys[i]);
        putchar(':');
        json_string(effective(producer, keys[i], value, sizeof value));
    }
    printf(",\"consumer.fetch.wait.max.ms\":\"%d\"},\"settings_source\":\"effective values read back from librdkafka\"",
           opt.fetch_wait_max_ms);
    printf(",\"message\":{\"size\":%d,\"headers\":%d,\"keys\":%d}", opt.size, opt.headers, opt.keys);
    if (opt.throughput) {
        putchar(',');
        print_throughput("produce", &pipelined);
        putchar(',');
        print_throughput("produce_batched", &batched);
    }
    if (opt.latency) {
        printf(",\"latency\":{\"rate\":%.0f,\"warmup_s\":%.1f,\"seconds\":%.1f,\"sent\":%ld,\"measured\":%ld,"
               "\"run_seconds\":%.3f,\"schedule_lag_max_ms\":%.3f,\"consumer_ready_ms\":%d,\"cpu_s\":%.3f,"
               "\"cpu_user_s\":%.3f,\"cpu_sys_s\":%.3f,\"consumed_other\":%ld,",
               opt.rate, opt.warmup, opt.seconds, latency_total, latency_total - latency_warm, latency.seconds,
               latency.schedule_lag_max_ms, latency.consumer_ready_ms, latency.cpu.user + latency.cpu.sys,
               latency.cpu.user, latency.cpu.sys, latency.foreign);
        print_percentiles("delivery_ms", delivery_ns, latency_warm, latency_total);
        putchar(',');
        print_percentiles("end_to_end_ms", end_to_end_ns, latency_warm, latency_total);
        putchar('}');
    }
    pthread_mutex_lock(&dr_lock);
    printf(",\"delivery_errors\":%" PRIu64 ",\"first_delivery_error\":", dr_errors);
    json_string(dr_first_error);
    pthread_mutex_unlock(&dr_lock);
    printf(",\"peak_rss_mb\":%.1f,\"notes\":[\"delivery reports served by a dedicated thread looping "
           "rd_kafka_poll(100 ms), as KafkaProducer.run() does\",\"warm-up: 2000 messages before the throughput phases\","
           "\"produce: produce until QUEUE_FULL, then wait for the next delivery report\","
           "\"produce_batched: one batch of --batch in flight at a time, as OutboxRelay.publishBatch sends\","
           "\"latency: delivery and end-to-end measured on the same messages; end-to-end stamped when the consumer's "
           "batch (≤ 500, first record waits ≤ 100 ms) is complete\"]}\n",
           peak_rss_mb());
    fflush(stdout);

    atomic_store(&stop_poller, 1);
    rd_kafka_yield(producer);
    pthread_join(poller, NULL);
    rd_kafka_flush(producer, 10000);
    rd_kafka_destroy(producer);
    free(m.payload);
    return 0;
}
