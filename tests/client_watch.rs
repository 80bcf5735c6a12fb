//! etcd-client watches against our server and the reference: one-shot, stream mode, resumable streams.
