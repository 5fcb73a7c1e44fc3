/*
 * loadgen: a small librdkafka load client for tools/bench.
 *
 *   loadgen produce BOOTSTRAP TOPIC COUNT SIZE [key=value ...]   librdkafka properties, plus:
 *        rate=N          messages per second (0 = as fast as possible)
 *        batch=N         hand messages to librdkafka N at a time with rd_kafka_produce_batch() (0 = one
 *                        rd_kafka_producev() call per message, what most applications do)
 *        keys=N          key each message with one of N keys ("k0".."k<N-1>"); 0 = no key (producer-perf-test)
 *   loadgen consume BOOTSTRAP TOPIC COUNT [key=value ...]
 *
 * Prints one line: "msgs=N secs=S msgs_per_s=R mb_per_s=M p50_ms=A p99_ms=B errors=E".
 * Latency is produce call -> delivery report, per message.
 */
#include <librdkafka/rdkafka.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The client shares the machine's two cores with the broker, so it keeps its own per-message work small: the
   clock is read once per produce call (per message, or per batch) and, for delivery reports, at the first of
   every 64 reports served by one poll; latencies go into a histogram instead of an array sorted afterwards. */
static double *sent_at;      /* per message: when its produce call was made */
static double report_now;    /* the clock as of the latest delivery report that read it */
static unsigned reports_since_clock;
static long acked, failed;

#define HIST_US_PER_BUCKET 10
#define HIST_BUCKETS 1000000 /* 10 s in 10 us buckets; slower reports land in the last bucket */
static unsigned *histogram;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk; (void)opaque;
    long idx = (long)(intptr_t)m->_private;
    if (m->err) {
        if (failed < 5) fprintf(stderr, "delivery failed: %s\n", rd_kafka_err2str(m->err));
        failed++;
        return;
    }
    if (reports_since_clock++ % 64 == 0) report_now = now_s();
    double us = (report_now - sent_at[idx]) * 1e6;
    long bucket = us <= 0 ? 0 : (long)(us / HIST_US_PER_BUCKET);
    histogram[bucket < HIST_BUCKETS ? bucket : HIST_BUCKETS - 1]++;
    acked++;
}

/* Serves delivery reports; the first report of every poll reads the clock afresh. */
static void serve(rd_kafka_t *rk, int timeout_ms) {
    reports_since_clock = 0;
    rd_kafka_poll(rk, timeout_ms);
}

static double percentile_ms(double q) {
    long want = (long)((double)acked * q), seen = 0;
    for (long b = 0; b < HIST_BUCKETS; b++) {
        seen += histogram[b];
        if (seen > want) return (double)(b * HIST_US_PER_BUCKET + HIST_US_PER_BUCKET / 2) / 1000.0;
    }
    return -1;
}

static rd_kafka_conf_t *make_conf(const char *bootstrap, int argc, char **argv, int first, long *rate, long *batch,
                                  long *keys) {
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof err) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "%s\n", err);
        exit(2);
    }
    for (int i = first; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq) { fprintf(stderr, "expected key=value: %s\n", argv[i]); exit(2); }
        *eq = '\0';
        if (rate && strcmp(argv[i], "rate") == 0) { *rate = atol(eq + 1); continue; }
        if (batch && strcmp(argv[i], "batch") == 0) { *batch = atol(eq + 1); continue; }
        if (keys && strcmp(argv[i], "keys") == 0) { *keys = atol(eq + 1); continue; }
        if (rd_kafka_conf_set(conf, argv[i], eq + 1, err, sizeof err) != RD_KAFKA_CONF_OK) {
            fprintf(stderr, "%s\n", err);
            exit(2);
        }
    }
    return conf;
}

/* Waits for message i's due time in rate mode, serving delivery reports, without spinning: a busy loop here
   would hold one of the machine's two cores and show up as broker latency. */
static void pace(rd_kafka_t *rk, double start, long rate, long i) {
    double due = start + (double)i / (double)rate;
    for (double left = due - now_s(); left > 0; left = due - now_s()) {
        serve(rk, 0);
        left = due - now_s();
        if (left > 0) {
            struct timespec ts = {(time_t)left, (long)((left - (double)(time_t)left) * 1e9)};
            nanosleep(&ts, NULL);
        }
    }
}

static int produce(const char *bootstrap, const char *topic, long count, long size, int argc, char **argv) {
    long rate = 0, batch = 0, keys = 0;
    char err[512];
    rd_kafka_conf_t *conf = make_conf(bootstrap, argc, argv, 6, &rate, &batch, &keys);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk) { fprintf(stderr, "%s\n", err); return 2; }
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    if (rate > 0 || batch < 1) batch = 1;
    sent_at = calloc((size_t)count, sizeof *sent_at);
    histogram = calloc(HIST_BUCKETS, sizeof *histogram);
    /* One payload buffer per message of a produce call; librdkafka copies them (RD_KAFKA_MSG_F_COPY). */
    char *payloads = malloc((size_t)(batch * size));
    char (*key_texts)[24] = calloc((size_t)batch, sizeof *key_texts);
    rd_kafka_message_t *messages = calloc((size_t)batch, sizeof *messages);
    /* Compressible but not trivial: a repeating text pattern with the message number mixed in. */
    for (long k = 0; k < batch; k++)
        for (long j = 0; j < size; j++) payloads[k * size + j] = (char)('a' + (j * 7 + j / 13) % 26);
    double start = now_s();
    for (long i = 0; i < count;) {
        if (rate > 0) pace(rk, start, rate, i);
        long n = count - i < batch ? count - i : batch;
        double at = now_s();
        for (long k = 0; k < n; k++) {
            long id = i + k;
            char *payload = payloads + k * size;
            if (size >= 8) memcpy(payload, &id, sizeof id);
            int klen = keys > 0 ? snprintf(key_texts[k], sizeof key_texts[k], "k%ld", id % keys) : 0;
            sent_at[id] = at;
            messages[k] = (rd_kafka_message_t){.payload = payload, .len = (size_t)size, .key = klen ? key_texts[k] : NULL,
                                               .key_len = (size_t)klen, ._private = (void *)(intptr_t)id};
        }
        for (long k = 0, end = n; k < end;) {
            if (batch == 1) {
                rd_kafka_message_t *m = &messages[k];
                rd_kafka_resp_err_t e = rd_kafka_producev(
                    rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_KEY(m->key, m->key_len), RD_KAFKA_V_VALUE(m->payload, m->len),
                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(m->_private), RD_KAFKA_V_END);
                if (e == RD_KAFKA_RESP_ERR_NO_ERROR) { k++; continue; }
                if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) { fprintf(stderr, "produce: %s\n", rd_kafka_err2str(e)); return 1; }
            } else {
                rd_kafka_produce_batch(rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, messages + k, (int)(end - k));
                /* Messages the queue could not take come back with err set: they move to the front of the
                   unsent range and are offered again after serving delivery reports. */
                long left = 0;
                for (long j = k; j < end; j++) {
                    if (messages[j].err == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
                    if (messages[j].err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                        fprintf(stderr, "produce: %s\n", rd_kafka_err2str(messages[j].err));
                        return 1;
                    }
                    messages[k + left] = messages[j];
                    messages[k + left].err = RD_KAFKA_RESP_ERR_NO_ERROR;
                    left++;
                }
                end = k + left;
                if (left == 0) break;
            }
            serve(rk, 10);
        }
        i += n;
        /* Delivery reports are served every 256 messages: polling per message costs the client more CPU than
           the broker spends on the message, and on a 2-core machine that CPU is taken from the broker. */
        if (rate > 0 || batch > 1 || (i & 255) == 0) serve(rk, 0);
    }
    while (rd_kafka_outq_len(rk) > 0 && now_s() - start < 600) serve(rk, 50);
    double secs = now_s() - start;
    printf("msgs=%ld secs=%.2f msgs_per_s=%.0f mb_per_s=%.1f p50_ms=%.2f p99_ms=%.2f errors=%ld\n", acked, secs,
           acked / secs, (double)acked * (double)size / secs / 1e6, percentile_ms(0.50), percentile_ms(0.99), failed);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    return failed ? 1 : 0;
}

static int consume(const char *bootstrap, const char *topic, long count, int argc, char **argv) {
    char err[512];
    rd_kafka_conf_t *conf = make_conf(bootstrap, argc, argv, 5, NULL, NULL, NULL);
    rd_kafka_conf_set(conf, "group.id", "loadgen-bench", err, sizeof err);
    rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", err, sizeof err);
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk) { fprintf(stderr, "%s\n", err); return 2; }
    rd_kafka_poll_set_consumer(rk);
    const rd_kafka_metadata_t *md;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR || md->topic_cnt != 1) {
        fprintf(stderr, "no metadata for %s\n", topic);
        return 1;
    }
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
    for (int p = 0; p < md->topics[0].partition_cnt; p++)
        rd_kafka_topic_partition_list_add(parts, topic, md->topics[0].partitions[p].id)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_assign(rk, parts);
    long got = 0, errors = 0;
    double bytes = 0, start = now_s(), last = start, first = -1;
    /* Messages are taken from the consumer queue in batches (what confluent-kafka's consume(num_messages) does),
       so the client's per-message cost stays small next to the broker's. */
    rd_kafka_queue_t *queue = rd_kafka_queue_get_consumer(rk);
    static rd_kafka_message_t *batch[4096];
    while (got < count && now_s() - last < 30) {
        ssize_t n = rd_kafka_consume_batch_queue(queue, 100, batch, 4096);
        for (ssize_t k = 0; k < n; k++) {
            rd_kafka_message_t *m = batch[k];
            if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
                got++;
                bytes += (double)m->len;
            } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                if (errors++ < 5) fprintf(stderr, "consume: %s\n", rd_kafka_message_errstr(m));
            }
            rd_kafka_message_destroy(m);
        }
        if (n > 0) {
            last = now_s();
            /* The clock starts at the first message, as rdkafka_performance's does: connecting and the first
               metadata round trips are not consumption. */
            if (first < 0) first = last;
        }
    }
    rd_kafka_queue_destroy(queue);
    double secs = last - (first < 0 ? start : first);
    printf("msgs=%ld secs=%.2f msgs_per_s=%.0f mb_per_s=%.1f p50_ms=- p99_ms=- errors=%ld\n", got, secs,
           got / secs, bytes / secs / 1e6, errors);
    rd_kafka_topic_partition_list_destroy(parts);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return got >= count ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc >= 5 && strcmp(argv[1], "produce") == 0 && argc >= 6)
        return produce(argv[2], argv[3], atol(argv[4]), atol(argv[5]), argc, argv);
    if (argc >= 5 && strcmp(argv[1], "consume") == 0)
        return consume(argv[2], argv[3], atol(argv[4]), argc, argv);
    fprintf(stderr, "usage: loadgen produce BOOTSTRAP TOPIC COUNT SIZE [k=v...] | consume BOOTSTRAP TOPIC COUNT [k=v...]\n");
    return 2;
}
