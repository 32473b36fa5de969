export default (req) => req.body;
