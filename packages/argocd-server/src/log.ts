// structured log lines with a level threshold: kube-runtime's logger, shared by the servers
export * from '@flotilla/kube-runtime/log';
