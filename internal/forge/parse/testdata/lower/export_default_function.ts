export default async function handler(event) { return event; }
