export { setup as default } from './moto.mjs'
