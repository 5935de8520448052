"""The holder's library: device keys, encrypted credential store, OpenID4VCI client, presentations."""
