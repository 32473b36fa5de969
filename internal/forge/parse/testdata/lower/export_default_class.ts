@Injectable() export default class Controller { run() {} }
