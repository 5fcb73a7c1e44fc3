#!/usr/bin/env bash
# Makes the key material of compose/docker-compose-secured.yml the way Confluent's security tutorial does:
# an openssl CA, one JKS key store per broker (keytool -genkeypair / -certreq, signed by the CA, -importcert),
# one JKS trust store holding the CA, the *_creds password files the images read, a PEM CA for librdkafka clients,
# and the brokers' JAAS file. Usage: create-certs.sh [output-directory] [broker names...]
# (defaults: this script's directory; broker-1 broker-2 broker-3). Needs openssl and keytool (a JRE).
set -euo pipefail

out="${1:-$(cd "$(dirname "$0")" && pwd)}"
shift || true
brokers=("${@:-broker-1 broker-2 broker-3}")
# shellcheck disable=SC2206
brokers=(${brokers[*]})
password="${SECRETS_PASSWORD:-needletail-secret}"
days="${SECRETS_DAYS:-365}"
mkdir -p "$out"
cd "$out"

openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days "$days" \
    -subj "/CN=needletail-compose-ca" 2>/dev/null

rm -f kafka.truststore.jks
keytool -noprompt -importcert -alias ca -file ca.pem -keystore kafka.truststore.jks -storetype JKS \
    -storepass "$password" >/dev/null 2>&1

for broker in "${brokers[@]}"; do
    store="$broker.keystore.jks"
    rm -f "$store"
    kt=(keytool -noprompt -keystore "$store" -storepass "$password")
    "${kt[@]}" -genkeypair -alias "$broker" -keyalg RSA -keysize 2048 -validity "$days" -storetype JKS \
        -dname "CN=$broker,OU=needletail" -keypass "$password" >/dev/null 2>&1
    "${kt[@]}" -certreq -alias "$broker" -keypass "$password" -file "$broker.csr" >/dev/null 2>&1
    printf 'subjectAltName=DNS:%s,DNS:localhost,IP:127.0.0.1\n' "$broker" >"$broker.ext"
    openssl x509 -req -in "$broker.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$broker.pem" \
        -days "$days" -extfile "$broker.ext" 2>/dev/null
    "${kt[@]}" -importcert -alias ca -file ca.pem >/dev/null 2>&1
    "${kt[@]}" -importcert -alias "$broker" -keypass "$password" -file "$broker.pem" >/dev/null 2>&1
    rm -f "$broker.csr" "$broker.ext"
done

# The Confluent images read passwords from files named by KAFKA_SSL_*_CREDENTIALS.
for creds in keystore_creds key_creds truststore_creds; do printf '%s\n' "$password" >"$creds"; done

# SCRAM for clients and between brokers; the admin's credential is created by the compose file's init service.
cat >broker_jaas.conf <<JAAS
KafkaServer {
  org.apache.kafka.common.security.scram.ScramLoginModule required
  username="admin"
  password="admin-secret";
};
JAAS

cat >admin.properties <<PROPS
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="admin-secret";
ssl.truststore.location=$out/ca.pem
ssl.truststore.type=PEM
PROPS
echo "key material in $out: ca.pem, ${brokers[*]/%/.keystore.jks}, kafka.truststore.jks, *_creds, broker_jaas.conf"
