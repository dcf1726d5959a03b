/** `flotilla up` as its own process and the real kubectl: the kube-runtime test kit's. */
export { startUp, stopUp, kubectl, FLOTILLA_MAIN as MAIN, type Up } from '@flotilla/kube-runtime/testkit';
