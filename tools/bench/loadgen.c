/*
 * loadgen: a small librdkafka load client for tools/bench.
 *
 *   loadgen produce BOOTSTRAP TOPIC COUNT SIZE [key=value ...]   librdkafka properties, plus:
 *        rate=N          messages per second (0 = as fast as possible)
 *   loadgen consume BOOTSTRAP TOPIC COUNT [key=value ...]
 *
 * Prints one line: "msgs=N secs=S msgs_per_s=R mb_per_s=M p50_ms=A p99_ms=B errors=E".
 * Latency is produce() call -> delivery report, per message.
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

static double *sent_at;      /* per message: when produce() was called */
static float *latency_ms;    /* per acknowledged message */
static long acked, failed;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk; (void)opaque;
    long idx = (long)(intptr_t)m->_private;
    if (m->err) {
        if (failed < 5) fprintf(stderr, "delivery failed: %s\n", rd_kafka_err2str(m->err));
        failed++;
        return;
    }
    latency_ms[acked++] = (float)((now_s() - sent_at[idx]) * 1000.0);
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static rd_kafka_conf_t *make_conf(const char *bootstrap, int argc, char **argv, int first, long *rate) {
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
        if (rd_kafka_conf_set(conf, argv[i], eq + 1, err, sizeof err) != RD_KAFKA_CONF_OK) {
            fprintf(stderr, "%s\n", err);
            exit(2);
        }
    }
    return conf;
}

static int produce(const char *bootstrap, const char *topic, long count, long size, int argc, char **argv) {
    long rate = 0;
    char err[512];
    rd_kafka_conf_t *conf = make_conf(bootstrap, argc, argv, 6, &rate);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk) { fprintf(stderr, "%s\n", err); return 2; }
    sent_at = calloc((size_t)count, sizeof *sent_at);
    latency_ms = calloc((size_t)count, sizeof *latency_ms);
    char *payload = malloc((size_t)size);
    /* Compressible but not trivial: a repeating text pattern with the message number mixed in. */
    for (long i = 0; i < size; i++) payload[i] = (char)('a' + (i * 7 + i / 13) % 26);
    char key[32];
    double start = now_s();
    for (long i = 0; i < count; i++) {
        if (rate > 0) {
            double due = start + (double)i / (double)rate;
            /* Wait for the message's due time serving delivery reports, without spinning: a busy loop here
               would hold one of the machine's two cores and show up as broker latency. */
            for (double left = due - now_s(); left > 0; left = due - now_s()) {
                rd_kafka_poll(rk, 0);
                left = due - now_s();
                if (left > 0) {
                    struct timespec ts = {(time_t)left, (long)((left - (double)(time_t)left) * 1e9)};
                    nanosleep(&ts, NULL);
                }
            }
        }
        int klen = snprintf(key, sizeof key, "k%ld", i % 1000);
        if (size >= 8) memcpy(payload, &i, sizeof i);
        sent_at[i] = now_s();
        for (;;) {
            rd_kafka_resp_err_t e = rd_kafka_producev(
                rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, (size_t)klen),
                RD_KAFKA_V_VALUE(payload, (size_t)size), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_OPAQUE((void *)(intptr_t)i), RD_KAFKA_V_END);
            if (e == RD_KAFKA_RESP_ERR_NO_ERROR) break;
            if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) { fprintf(stderr, "produce: %s\n", rd_kafka_err2str(e)); return 1; }
            rd_kafka_poll(rk, 10);
        }
        /* Delivery reports are served every 256 messages: polling per message costs the client more CPU than
           the broker spends on the message, and on a 2-core machine that CPU is taken from the broker. */
        if ((i & 255) == 0 || rate > 0) rd_kafka_poll(rk, 0);
    }
    while (rd_kafka_outq_len(rk) > 0 && now_s() - start < 600) rd_kafka_poll(rk, 50);
    double secs = now_s() - start;
    qsort(latency_ms, (size_t)acked, sizeof *latency_ms, cmp_float);
    double p50 = acked ? latency_ms[(size_t)(acked * 0.50)] : -1;
    double p99 = acked ? latency_ms[(size_t)(acked * 0.99)] : -1;
    printf("msgs=%ld secs=%.2f msgs_per_s=%.0f mb_per_s=%.1f p50_ms=%.2f p99_ms=%.2f errors=%ld\n", acked, secs,
           acked / secs, (double)acked * (double)size / secs / 1e6, p50, p99, failed);
    rd_kafka_destroy(rk);
    return failed ? 1 : 0;
}

static int consume(const char *bootstrap, const char *topic, long count, int argc, char **argv) {
    char err[512];
    rd_kafka_conf_t *conf = make_conf(bootstrap, argc, argv, 5, NULL);
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
